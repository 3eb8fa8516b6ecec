//! Unit tests of the join and the statuses.
