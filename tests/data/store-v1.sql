-- A v1 data file as panelsearch made it before feedback existed (`.dump` of a Store with one pack):
-- tests/test_feedback.py checks that such a file gains the feedback table and keeps its packs.
CREATE TABLE items (
    pack_id         TEXT NOT NULL REFERENCES packs(id) ON DELETE CASCADE,
    passage_id      TEXT NOT NULL,
    position        INTEGER NOT NULL,  -- 1..n within the pack, renumbered by every write
    source          TEXT NOT NULL,
    question_number INTEGER NOT NULL,
    question        TEXT NOT NULL,
    speaker         TEXT NOT NULL,
    speaker_name    TEXT NOT NULL DEFAULT '',
    text            TEXT NOT NULL,
    title           TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT '',
    prompt          TEXT NOT NULL DEFAULT '',
    added           TEXT NOT NULL,
    PRIMARY KEY (pack_id, passage_id)
);
INSERT INTO "items" VALUES('No4I9zPcqe9E','coproduction-qi-webinar-qa:q09:AC:1',1,'coproduction-qi-webinar-qa',9,
  'Are Experts by Experience paid?','AC','','We pay them.','','','','2026-12-01T15:08:17.118020+00:00');
CREATE TABLE packs (
    id      TEXT PRIMARY KEY,
    title   TEXT NOT NULL,
    created TEXT NOT NULL,  -- ISO 8601, UTC
    updated TEXT NOT NULL
);
INSERT INTO "packs" VALUES('No4I9zPcqe9E','Kept from v1','2026-12-01T15:08:17.101516+00:00',
  '2026-12-01T15:08:17.118077+00:00');
CREATE INDEX items_in_order ON items (pack_id, position);
PRAGMA user_version = 1;
