-- A group's description, set by its admins (PATCH /api/v1/conversations/:id);
-- null when it has none. Direct conversations never have one.
ALTER TABLE conversations ADD COLUMN description text;
