"""The back office: members, staff accounts, the state of outgoing mail."""
