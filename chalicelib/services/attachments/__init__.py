"""Documents on a ticket: upload, verify, list, download, attach to a message.

The browser uploads straight to S3 with a presigned POST whose key the server chose
(`uploads/<ticket>/<attachment>`, never the user's file name). Nothing uploaded is visible until
a confirm has read it back and proved it (size, type from the content, SHA-256); the verified
bytes are then written by the server under a key of their own (`tickets/<ticket>/<attachment>/
<sha256>`), so the upload form, reusable until it expires, cannot swap a checked file for
another. A file that fails is deleted and the answer says why. Uploads never confirmed are
removed by the hourly cleanup after a day.

Who sees what follows the ticket: the same access check as the ticket itself, and a file that
went with an internal note (or an agent's upload not yet sent) is internal: no customer path
returns it, lists it or signs a URL for it.

Import the module you need (nothing is re-exported here, so a route loads only its own part);
each imports only those listed above it:

- `access.py`   what every part shares: who may see a file (`may_see`), one file of a ticket
                the caller may see (`visible_attachment`), the id format, the `SYSTEM` uploader.
- `limits.py`   what the drop zones say and check first: the types, the size, the counts.
- `views.py`    files turned into the customer's and the console's answers.
- `uploads.py`  asking for an upload and confirming it, for either side; the hourly purge of
                uploads nobody confirmed (`purge_stale_uploads`).
- `received.py` a file the server received itself (an inbound mail's): `store_bytes`.
- `reading.py`  the documents area's lists, download links, and `attachable`: whether files may
                go with a message (called by services/tickets/ inside its rule functions).
"""
