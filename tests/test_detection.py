"""Detection: the system and entity of a file come from its heading row; the name is a hint."""

import pytest

from converter.core.errors import DetectionError
from converter.io.detection import detect
from converter.io.layouts import load_layout
from converter.io.reading import open_table
from tests.conftest import rcc


def table(tmp_path, name, *lines, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return open_table(path)


def headerless(tmp_path, name, width, rows=2):
    lines = [",".join(f"r{r}c{c}" for c in range(width)) for r in range(rows)]
    return table(tmp_path, name, *lines)


# ---------------------------------------------------------------- heading rows


def test_sage_header_by_names(tmp_path):
    det = detect(table(tmp_path, "export.csv", "Customer ID,Customer Name,Bill to City", "C1,One,Boston"))
    assert det.layout.name == "sage50/customers"
    assert det.has_header and det.variant is None
    assert det.columns == ["Customer ID", "Customer Name", "Bill to City"]
    assert det.issues == []


def test_bizops_header_of_the_same_entity(tmp_path):
    det = detect(table(tmp_path, "export.csv", "CustomerID,Name,City", "C1,One,Boston"))
    assert det.layout.name == "bizops/customers"
    assert (det.system, det.entity) == ("bizops", "customers")


def test_header_matching_ignores_case_and_spacing(tmp_path):
    det = detect(table(tmp_path, "x.csv", "  customer   ID ,CUSTOMER NAME,bill to  city", "C1,One,Boston"))
    assert det.layout.name == "sage50/customers"
    assert det.columns == ["Customer ID", "Customer Name", "Bill to City"]
    assert det.headers == ["customer   ID", "CUSTOMER NAME", "bill to  city"]


def test_aliases_map_to_field_names(tmp_path):
    det = detect(
        table(tmp_path, "x.csv", "Vendor ID,Vendor Name,Address-Line 1,Zip Code", "V1,A,1 Road,02134")
    )
    assert det.layout.name == "sage50/vendors"
    assert det.columns == ["Vendor ID", "Vendor Name", "Address-Line One", "Zip"]


def test_bizops_content_wins_over_a_sage_file_name(tmp_path):
    det = detect(table(tmp_path, "CUSTOMER.CSV", "CustomerID,Name,City", "C1,One,Boston"))
    assert det.layout.name == "bizops/customers"


def test_file_name_does_not_override_a_better_header_match(tmp_path):
    det = detect(table(tmp_path, "vendors.csv", "CustomerID,Name,City", "C1,One,Boston"))
    assert det.layout.name == "bizops/customers"


@pytest.mark.parametrize(("name", "expected"), [("vendors.csv", "vendors"), ("customers.csv", "customers")])
def test_file_name_breaks_a_tie(tmp_path, name, expected):
    # Both BizOps layouts match two of the three columns and have their required ones.
    det = detect(table(tmp_path, name, "CustomerID,Name,VendorID", "C1,One,V1"))
    assert det.layout.name == f"bizops/{expected}"


def test_unknown_columns_are_reported_as_info(tmp_path):
    det = detect(table(tmp_path, "x.csv", "CustomerID,Name,Favourite Colour,", "C1,One,Blue,"))
    assert det.layout.name == "bizops/customers"
    assert det.columns == ["CustomerID", "Name", "Favourite Colour", "Column 4"]
    assert rcc(det.issues) == {(1, None, "unknown-column")}
    [issue] = det.issues
    assert issue.severity == "info" and "Favourite Colour" in issue.message


def test_sage_custom_field_labels_are_kept(tmp_path):
    det = detect(
        table(tmp_path, "x.csv", "Customer ID,Customer Name,Second Contact,Referral", "C1,One,Tom,Fair")
    )
    assert det.layout.name == "sage50/customers"
    assert det.columns == ["Customer ID", "Customer Name", "Second Contact", "Referral"]
    assert det.custom_labels == {"Second Contact": "Custom Field 1", "Referral": "Custom Field 2"}
    assert rcc(det.issues) == {(1, None, "custom-fields")}
    assert det.issues[0].severity == "info"


def test_labels_beyond_the_custom_slots_are_unknown_columns(tmp_path):
    header = "Vendor ID,Vendor Name,Contact,City,State,Zip,A,B,C,D"  # three custom fields
    det = detect(table(tmp_path, "x.csv", header, "V1,One,Al,Boston,MA,02134,1,2,3,4"))
    assert det.layout.name == "sage50/vendors"
    assert det.custom_labels == {"A": "Custom Field 1", "B": "Custom Field 2", "C": "Custom Field 3"}
    assert rcc(det.issues) == {(1, None, "custom-fields"), (1, None, "unknown-column")}
    unknown = next(i for i in det.issues if i.code == "unknown-column")
    assert "'D'" in unknown.message


def test_custom_label_skips_a_slot_already_in_the_header(tmp_path):
    det = detect(table(tmp_path, "x.csv", "Customer ID,Customer Name,Custom Field 1,Referral", "C1,One,a,b"))
    assert det.custom_labels == {"Referral": "Custom Field 2"}


def test_site_column_aliases(tmp_path):
    site = {"bizops/customers": {"CustomerID": ("Cust No",)}}
    det = detect(table(tmp_path, "x.csv", "Cust No,Name", "C1,One"), site_columns=site)
    assert det.layout.name == "bizops/customers"
    assert det.columns == ["CustomerID", "Name"]


# ---------------------------------------------------------------- headerless Sage files


def test_headerless_sage_file_matched_by_column_count(tmp_path):
    det = detect(headerless(tmp_path, "export.csv", 45))
    assert det.layout.name == "sage50/vendors"
    assert not det.has_header and det.variant == "full"
    assert det.columns == det.layout.field_names
    assert rcc(det.issues) == {(None, None, "headerless")}
    assert det.issues[0].severity == "warning"


def test_headerless_older_variant(tmp_path):
    det = detect(headerless(tmp_path, "export.csv", 38))
    assert (det.layout.name, det.variant) == ("sage50/vendors", "peachtree-2010")
    assert len(det.columns) == 38


def test_headerless_ambiguous_width_needs_entity(tmp_path):
    # 59 columns: Sage invoices (Peachtree 2010) and Sage receipts (current) alike.
    with pytest.raises(DetectionError) as exc:
        detect(headerless(tmp_path, "export.csv", 59))
    assert "--entity" in str(exc.value)
    assert "sage50/invoices" in str(exc.value) and "sage50/payments" in str(exc.value)


@pytest.mark.parametrize(
    ("name", "layout", "variant"),
    [("SALES.CSV", "sage50/invoices", "peachtree-2010"), ("receipts.csv", "sage50/payments", "full")],
)
def test_headerless_ambiguous_width_resolved_by_file_name(tmp_path, name, layout, variant):
    det = detect(headerless(tmp_path, name, 59))
    assert (det.layout.name, det.variant) == (layout, variant)


def test_headerless_ambiguous_width_resolved_by_entity(tmp_path):
    det = detect(headerless(tmp_path, "export.csv", 59), entity="payments")
    assert det.layout.name == "sage50/payments"


def test_headerless_width_that_fits_nothing(tmp_path):
    with pytest.raises(DetectionError, match="matches no known layout"):
        detect(headerless(tmp_path, "export.csv", 7))


# ---------------------------------------------------------------- no match and restrictions


def test_no_match_names_the_closest_layouts_and_what_they_need(tmp_path):
    with pytest.raises(DetectionError) as exc:
        detect(table(tmp_path, "data.csv", "CustomerID,City", "C1,Boston"))
    message = str(exc.value)
    assert "data.csv" in message
    closest = message.split("Closest layouts:")[1].splitlines()[1]
    assert "bizops customers" in closest and "'Name'" in closest


def test_blank_file_has_no_rows(tmp_path):
    with pytest.raises(DetectionError, match="no rows"):
        detect(table(tmp_path, "blank.csv", "", " , "))


def test_entity_restricts_candidates(tmp_path):
    det = detect(table(tmp_path, "customers.csv", "CustomerID,Name,VendorID", "C1,One,V1"), entity="vendors")
    assert det.layout.name == "bizops/vendors"
    with pytest.raises(DetectionError):
        detect(table(tmp_path, "c.csv", "CustomerID,Name", "C1,One"), entity="products")


def test_source_system_restricts_candidates(tmp_path):
    t = table(tmp_path, "c.csv", "CustomerID,Name", "C1,One")
    assert detect(t, source_system="bizops").layout.name == "bizops/customers"
    with pytest.raises(DetectionError):
        detect(t, source_system="sage50")


# ---------------------------------------------------------------- every variant, and files not exchanged


@pytest.mark.parametrize(
    ("width", "variant"),
    [(66, "full"), (65, "four-custom-fields"), (64, "card-number-with-account"), (63, "card-number")],
)
@pytest.mark.parametrize("entity", [None, "customers"])
def test_headerless_customer_list_in_every_known_variant(tmp_path, width, variant, entity):
    # 64: an older release with Account # and the two card fields before tokenisation.
    det = detect(headerless(tmp_path, "export.csv", width), entity=entity)
    assert (det.layout.name, det.variant, len(det.columns)) == ("sage50/customers", variant, width)
    assert rcc(det.issues) == {(None, None, "headerless")}


def test_every_known_variant_of_the_entity_is_tried_with_entity(tmp_path):
    det = detect(headerless(tmp_path, "export.csv", 43), entity="payments")
    assert (det.layout.name, det.variant) == ("sage50/payments", "peachtree-2008")


def test_headerless_ambiguity_lists_every_candidate(tmp_path):
    # 49 columns: a Sage sales order export and a real Sage 50 2013 payments (disbursements) journal.
    with pytest.raises(DetectionError) as exc:
        detect(headerless(tmp_path, "export.csv", 49))
    text = str(exc.value)
    assert "sage50/orders (full" in text and "sage50/disbursements (sage50-2013" in text
    assert "--entity" in text and "SO.CSV" in text and "PAYMENTS.CSV" in text


@pytest.mark.parametrize(
    ("name", "entity", "layout"),
    [
        ("SO.CSV", None, "sage50/orders"),
        ("PAYMENTS.CSV", None, "sage50/disbursements"),
        ("export.csv", "orders", "sage50/orders"),
        ("export.csv", "disbursements", "sage50/disbursements"),
    ],
)
def test_headerless_ambiguity_resolved_by_name_or_entity(tmp_path, name, entity, layout):
    assert detect(headerless(tmp_path, name, 49), entity=entity).layout.name == layout


def test_headerless_width_no_variant_of_the_entity_has(tmp_path):
    with pytest.raises(DetectionError) as exc:
        detect(headerless(tmp_path, "export.csv", 62), entity="customers")
    assert "63, 64, 65, 66 columns are known" in str(exc.value)


@pytest.mark.parametrize("width", [16, 19])
def test_unverified_layouts_are_never_matched_by_column_count(tmp_path, width):
    # Jobs (16 known columns) and employees (19) are known only from the first part of Sage's help pages.
    assert all(
        load_layout("sage50", e).column_sets() == {} for e in ("jobs", "employees", "payroll", "contacts")
    )
    with pytest.raises(DetectionError, match="matches no known layout"):
        detect(headerless(tmp_path, "export.csv", width))


def test_an_unverified_layout_never_takes_a_file_from_an_exchanged_one(tmp_path):
    # A customer list whose custom-field labels happen to be 'Job ID' and 'Job Description' fits the
    # (unverified) Job List with more columns; it stays a customer list.
    det = detect(
        table(
            tmp_path, "x.csv", "Customer ID,Customer Name,Inactive,Job ID,Job Description", "C1,One,FALSE,J,D"
        )
    )
    assert det.layout.name == "sage50/customers"
    jobs = detect(table(tmp_path, "y.csv", "Job ID,Job Description,Use Phases,Inactive,Supervisor", "J,D,,,"))
    assert jobs.layout.name == "sage50/jobs"


def test_a_heading_only_adjustments_file_is_recognised(tmp_path):
    header = (
        "Item ID,Reference,Date,Job ID,Reason to Adjust,Inventory Account,Amount Adjusted,"
        "Inv Acnt Date Cleared in Bank Rec,Number of Distributions,G/L Source Account,GL Date Cleared in Bank Rec,"
        "Unit Cost,Quantity,Amount,Transaction Period,Transaction Number,Serial Number"
    )
    det = detect(table(tmp_path, "ADJUST.CSV", header))
    assert det.layout.name == "sage50/adjustments" and not det.layout.exchanged
    assert det.has_header and len(det.columns) == 17
