"""Live transcription over the WebSocket ``/transcription-stream`` (the Node.js protocol).

- ``consumer``: the Channels consumer speaking the protocol, message for message;
- ``recording``: one recording's audio (header in memory, slices spilled to a temporary
  file past ``LIVE_MEMORY_BUFFER_BYTES``) and its windows of ``LIVE_WINDOW_SLICES`` slices;
- ``windows``: transcribing a window through ``ai.services`` and appending its segments
  through ``consultations.services.segment_append`` (never a Segment query here);
- ``sockets``: the per-user limit of open sockets (cache, or per process without it);
- ``webm``: the start time of a window, read from its first Cluster's timecode.
"""
