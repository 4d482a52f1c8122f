"""The rollback export: what was created or changed in Scribe, written back as the Node.js
backend's generation-3 documents (``render``), to a dump directory or a live MongoDB
(``writers``), decided per record by the stored fingerprints (``exporter``)."""
