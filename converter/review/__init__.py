"""The review workbook and the approval gate: review.xlsx, batch summaries, approve/reject."""
