"""Who acts: people and their logins, operators and their keys, department scope, the permission table."""
