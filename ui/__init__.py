"""The page's parts, drawn by Streamlit (app.py routes to them); the package computes."""
