"""Missing reports and found children through the API: create, update, read, list, photos."""
