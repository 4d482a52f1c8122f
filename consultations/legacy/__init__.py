"""Importing the Node.js Scribe database (see importer.py and README "Legacy import")."""
