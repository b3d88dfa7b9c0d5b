"""People and their rights: users, roles, ISSP organisations, sign-in and invitations."""
