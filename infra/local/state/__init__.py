"""A local cloud's state on disk: `workshop cloud --state DIR` survives a restart, even `kill -9`.

- `store.py`: the folder: a snapshot written atomically, a journal of stream records and log
  events that only grows, blobs (function code) stored once, and a lock;
- `saver.py`: when to save: after a change, at most every half second, in a daemon thread;
- `lifecycle.py`: `CloudState`, what `LocalCloud` holds: lock, restore or set aside, save, close.
- `renames.py`: the classes that moved since a folder was saved, and where they live now.

What goes into a snapshot (moto's backends) is `infra.local.aws.state`'s business; nothing here
touches moto. This package imports nothing on its own, so its modules can be imported alone.
"""
