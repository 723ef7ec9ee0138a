"""Reads for reports: quota figures, deadlines due, planning, charts and exports."""
