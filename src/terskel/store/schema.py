"""The store's schema, as numbered migrations applied in order on open."""

from __future__ import annotations

# Each migration runs once, in one transaction with the version bump.
# Never edit a shipped migration: add a new one.
MIGRATIONS: list[str] = [
    # 1: foundation
    """
    CREATE SEQUENCE activity_id_seq START 1;
    CREATE SEQUENCE import_log_seq START 1;

    -- One row per real-world activity, deduplicated across sources and devices.
    CREATE TABLE activities (
        athlete_id        VARCHAR NOT NULL,
        activity_id       BIGINT PRIMARY KEY DEFAULT nextval('activity_id_seq'),
        sport             VARCHAR NOT NULL,      -- FIT sport name: running, cycling, ...
        sub_sport         VARCHAR,
        start_utc         TIMESTAMP NOT NULL,    -- UTC
        utc_offset_s      INTEGER NOT NULL,      -- local time = UTC + offset
        utc_offset_source VARCHAR NOT NULL,      -- device | config | system
        start_local       TIMESTAMP NOT NULL,    -- start_utc + utc_offset_s
        elapsed_s         DOUBLE,                -- wall-clock duration
        timer_s           DOUBLE,                -- moving (timer) duration
        distance_m        DOUBLE,
        avg_hr            DOUBLE,
        max_hr            DOUBLE,
        avg_speed_mps     DOUBLE,
        max_speed_mps     DOUBLE,
        avg_cadence_spm   DOUBLE,                -- steps/min for foot sports
        avg_power_w       DOUBLE,
        total_ascent_m    DOUBLE,
        calories          DOUBLE,
        device            VARCHAR,
        primary_source    VARCHAR NOT NULL,      -- the source whose samples and laps are kept
        primary_source_id VARCHAR NOT NULL,
        sample_count      INTEGER NOT NULL,
        deleted           BOOLEAN NOT NULL DEFAULT false,
        updated_at        TIMESTAMP NOT NULL DEFAULT current_timestamp
    );
    CREATE INDEX activities_start ON activities (athlete_id, start_utc);

    -- Which source records map to each activity (a run from two watches: two rows).
    CREATE TABLE activity_sources (
        athlete_id     VARCHAR NOT NULL,
        source         VARCHAR NOT NULL,         -- fit | strava | garmin | strava_export
        source_id      VARCHAR NOT NULL,         -- fit: '<sha256>:<session index>'
        activity_id    BIGINT NOT NULL,
        file_sha256    VARCHAR,                  -- raw bytes in raw_files
        original_path  VARCHAR,
        raw_json       JSON,                     -- the session summary or API payload as sent
        sport          VARCHAR,
        start_utc      TIMESTAMP NOT NULL,
        elapsed_s      DOUBLE,
        distance_m     DOUBLE,
        sample_count   INTEGER NOT NULL,
        stream_quality DOUBLE NOT NULL,          -- higher is better; picks the kept stream
        decoder        VARCHAR,
        imported_at    TIMESTAMP NOT NULL DEFAULT current_timestamp,
        PRIMARY KEY (athlete_id, source, source_id)
    );

    -- Original file bytes, so derived tables rebuild without the files.
    CREATE TABLE raw_files (
        athlete_id  VARCHAR NOT NULL,
        sha256      VARCHAR NOT NULL,
        size_bytes  BIGINT NOT NULL,
        content     BLOB NOT NULL,
        first_path  VARCHAR,
        stored_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
        PRIMARY KEY (athlete_id, sha256)
    );

    CREATE TABLE laps (
        athlete_id     VARCHAR NOT NULL,
        activity_id    BIGINT NOT NULL,
        lap_index      INTEGER NOT NULL,
        start_utc      TIMESTAMP NOT NULL,
        end_utc        TIMESTAMP NOT NULL,
        elapsed_s      DOUBLE,
        timer_s        DOUBLE,
        distance_m     DOUBLE,
        avg_speed_mps  DOUBLE,
        max_speed_mps  DOUBLE,
        avg_hr         DOUBLE,
        max_hr         DOUBLE,
        avg_cadence    DOUBLE,
        avg_power_w    DOUBLE,
        intensity      VARCHAR,
        lap_trigger    VARCHAR,
        wkt_step_index INTEGER
    );

    -- Samples as recorded (1 s or smart-recording gaps); never resampled here.
    CREATE TABLE samples (
        athlete_id  VARCHAR NOT NULL,
        activity_id BIGINT NOT NULL,
        t           TIMESTAMP NOT NULL,          -- UTC
        distance_m  DOUBLE,
        speed_mps   DOUBLE,
        heart_rate  DOUBLE,
        cadence_spm DOUBLE,
        altitude_m  DOUBLE,
        power_w     DOUBLE,
        lat         DOUBLE,
        lon         DOUBLE
    );

    CREATE TABLE import_log (
        athlete_id  VARCHAR NOT NULL,
        log_id      BIGINT PRIMARY KEY DEFAULT nextval('import_log_seq'),
        logged_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
        path        VARCHAR NOT NULL,
        sha256      VARCHAR,
        status      VARCHAR NOT NULL,            -- imported | linked | present | skipped | failed
        message     VARCHAR,
        activity_id BIGINT
    );
    """,
    # 2: syncs and athlete markers
    """
    CREATE SEQUENCE sync_log_seq START 1;

    -- Per-source cursors and progress, so an interrupted or rate-limited sync resumes.
    CREATE TABLE sync_state (
        athlete_id VARCHAR NOT NULL,
        source     VARCHAR NOT NULL,
        key        VARCHAR NOT NULL,
        value      JSON,
        updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
        PRIMARY KEY (athlete_id, source, key)
    );

    -- One row per source per sync run: what `terskel status` shows.
    CREATE TABLE sync_log (
        athlete_id   VARCHAR NOT NULL,
        run_id       BIGINT PRIMARY KEY DEFAULT nextval('sync_log_seq'),
        source       VARCHAR NOT NULL,
        started_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
        finished_at  TIMESTAMP,
        status       VARCHAR NOT NULL DEFAULT 'running',  -- ok | partial | failed | auth | running
        new          INTEGER NOT NULL DEFAULT 0,
        updated      INTEGER NOT NULL DEFAULT 0,
        failed       INTEGER NOT NULL DEFAULT 0,
        message      VARCHAR,
        resume_after TIMESTAMP                             -- UTC; when a rate limit allows more
    );

    -- Dated physiological markers from each source; config values override them.
    CREATE TABLE athlete_thresholds (
        athlete_id     VARCHAR NOT NULL,
        source         VARCHAR NOT NULL,      -- garmin | estimate | lactate ...
        marker         VARCHAR NOT NULL,      -- max_hr | resting_hr | lt1_hr | lt2_hr |
                                              -- threshold_speed_mps | threshold_power_w
        value          DOUBLE NOT NULL,
        effective_from DATE NOT NULL,
        recorded_at    TIMESTAMP NOT NULL DEFAULT current_timestamp,
        note           VARCHAR,
        PRIMARY KEY (athlete_id, source, marker, effective_from)
    );
    """,
    # 3: interval structure
    """
    -- One row per segment of a run: warm-up, work rep, recovery, cool-down or steady.
    CREATE TABLE intervals (
        athlete_id      VARCHAR NOT NULL,
        activity_id     BIGINT NOT NULL,
        seg_index       INTEGER NOT NULL,
        kind            VARCHAR NOT NULL,     -- warmup | work | recovery | cooldown | steady
        set_no          INTEGER,              -- work and recovery only
        rep_no          INTEGER,
        start_utc       TIMESTAMP NOT NULL,
        end_utc         TIMESTAMP NOT NULL,
        duration_s      DOUBLE,
        distance_m      DOUBLE,
        avg_speed_mps   DOUBLE,
        max_speed_mps   DOUBLE,
        avg_hr          DOUBLE,
        max_hr          DOUBLE,
        avg_hr_2nd_half DOUBLE,               -- HR lags effort: the second half tells more
        avg_cadence_spm DOUBLE,
        avg_power_w     DOUBLE,
        source          VARCHAR NOT NULL,     -- laps | streams
        PRIMARY KEY (athlete_id, activity_id, seg_index)
    );

    -- One row per analysed run: its structure in the canonical notation.
    CREATE TABLE structures (
        athlete_id  VARCHAR NOT NULL,
        activity_id BIGINT NOT NULL,
        label       VARCHAR NOT NULL,         -- 6x400m/200m, 5x6min/1min, continuous ...
        source      VARCHAR NOT NULL,         -- laps | streams
        n_work      INTEGER NOT NULL,
        analyzed_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
        PRIMARY KEY (athlete_id, activity_id)
    );
    """,
    # 4: zones, lactate, session types
    """
    CREATE SEQUENCE lactate_seq START 1;

    -- Finger-prick lactate readings, attached to the rep that ended just before them.
    CREATE TABLE lactate (
        athlete_id  VARCHAR NOT NULL,
        reading_id  BIGINT PRIMARY KEY DEFAULT nextval('lactate_seq'),
        activity_id BIGINT,
        set_no      INTEGER,
        rep_no      INTEGER,
        taken_at    TIMESTAMP,                -- UTC, when known
        mmol        DOUBLE NOT NULL,          -- mmol/L
        note        VARCHAR,
        source      VARCHAR NOT NULL,         -- manual | csv
        created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
    );

    -- Seconds in each zone, per activity (seg_index NULL) and per segment.
    CREATE TABLE zone_time (
        athlete_id  VARCHAR NOT NULL,
        activity_id BIGINT NOT NULL,
        seg_index   INTEGER,                  -- NULL: the whole activity
        model       VARCHAR NOT NULL,         -- olympiatoppen | seiler3 | lthr5 | pace | power
        zone        VARCHAR NOT NULL,         -- I1..I5, Z1..Z5 ...
        seconds     DOUBLE NOT NULL
    );

    -- What kind of session each activity was, and why (one line).
    CREATE TABLE sessions (
        athlete_id        VARCHAR NOT NULL,
        activity_id       BIGINT NOT NULL,
        outing_id         BIGINT NOT NULL,    -- files of one outing (warm-up, blocks, cool-down)
                                              -- share it: the smallest activity_id among them
        local_date        DATE NOT NULL,
        iso_week          VARCHAR NOT NULL,   -- 2026-W12, local time
        half_day          VARCHAR NOT NULL,   -- AM | PM (local start)
        sport             VARCHAR NOT NULL,
        session_type      VARCHAR NOT NULL,   -- easy | long | threshold | vo2 | x_element |
                                              -- race | other_sport | unknown
        structure         VARCHAR,            -- label from `structures`
        distance_m        DOUBLE,
        moving_s          DOUBLE,
        work_s            DOUBLE,             -- total rep time (0 for continuous runs)
        threshold_s       DOUBLE,             -- work time inside the threshold band
        above_threshold_s DOUBLE,             -- time above the band (I4-I5)
        intensity_basis   VARCHAR NOT NULL,   -- lactate | hr | pace | power | none
        drift_hr_pct      DOUBLE,             -- last reps vs first, HR (2nd-half) change in %
        drift_pace_pct    DOUBLE,             -- last reps vs first, pace change in %
        reason            VARCHAR NOT NULL,   -- one line: why this type
        analyzed_at       TIMESTAMP NOT NULL DEFAULT current_timestamp,
        PRIMARY KEY (athlete_id, activity_id)
    );
    """,
    # 5: best efforts per run, the data behind estimated markers
    """
    -- Per analysed run: its best sustained efforts (NULL when the stream lacks them).
    CREATE TABLE activity_peaks (
        athlete_id    VARCHAR NOT NULL,
        activity_id   BIGINT NOT NULL,
        local_date    DATE NOT NULL,
        hr_60s        DOUBLE,                 -- best 60 s average heart rate (bpm)
        hr_20min      DOUBLE,                 -- best 20 min average heart rate (bpm)
        speed_20min   DOUBLE,                 -- best 20 min average speed (m/s)
        speed_60min   DOUBLE,                 -- best 60 min average speed (m/s)
        power_20min   DOUBLE,                 -- best 20 min average power (W)
        PRIMARY KEY (athlete_id, activity_id)
    );
    """,
    # quarantine: decoded activities whose values cannot be real (damaged files)
    """
    -- Held back from activities, analysis and reports; `activities --quarantined` lists them.
    CREATE TABLE quarantine (
        athlete_id     VARCHAR NOT NULL,
        source         VARCHAR NOT NULL,      -- fit | garmin | strava_export ...
        source_id      VARCHAR NOT NULL,      -- as in activity_sources
        path           VARCHAR,               -- where the file came from
        file_sha256    VARCHAR,
        sport          VARCHAR,
        start_utc      TIMESTAMP,             -- as decoded (often the damage itself)
        elapsed_s      DOUBLE,
        distance_m     DOUBLE,
        reason         VARCHAR NOT NULL,      -- one line: which bound it broke
        content        BLOB,                  -- the file's bytes, kept so nothing is lost
        quarantined_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
        PRIMARY KEY (athlete_id, source, source_id)
    );
    """,
    # the runner's corrections: they beat detection and the typing rules, survive rebuilds
    """
    CREATE TABLE IF NOT EXISTS corrections (
        athlete_id  VARCHAR NOT NULL,
        activity_id BIGINT NOT NULL,
        kind        VARCHAR NOT NULL,         -- structure | type
        value       VARCHAR NOT NULL,         -- a label (5x1km/2min, continuous) or a type (easy)
        created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
        PRIMARY KEY (athlete_id, activity_id, kind)
    );
    -- HR, pace and power disagreed on the type (shown as `threshold?`; the reason names both)
    ALTER TABLE sessions ADD COLUMN IF NOT EXISTS disputed BOOLEAN;
    """,
    # structure confidence: the chosen reading's share of the scored alternatives (0-1)
    """
    ALTER TABLE structures ADD COLUMN confidence DOUBLE;
    """,
    # 9: raw file bytes leave the DuckDB file for `<store>.raw/` (store/raw_folder.py);
    # the store writes every row's bytes there before this runs (Store._move_raw_bytes_out)
    """
    ALTER TABLE raw_files ADD COLUMN path VARCHAR;  -- in <store>.raw/: ab/<sha256>.gz
    UPDATE raw_files SET path = substr(sha256, 1, 2) || '/' || sha256 || '.gz';
    ALTER TABLE raw_files DROP COLUMN content;
    """,
    # 10: no ART index on the tables a nightly appends to and never upserts (issue 14):
    # a checkpoint writes every touched table's index into fresh blocks (one 64 KiB block
    # each, store/checkpoints.py), and none of these is read through its index or upserted.
    # Their keys stay what the code keeps: activity_id and log_id from their sequences,
    # one row per run (and segment) by delete-then-insert in one transaction
    # (store/structures.py, store/sessions.py). Same columns, order, NOT NULL and defaults.
    """
    CREATE TABLE activities_v10 (
        athlete_id        VARCHAR NOT NULL,
        activity_id       BIGINT NOT NULL DEFAULT nextval('activity_id_seq'),
        sport             VARCHAR NOT NULL,
        sub_sport         VARCHAR,
        start_utc         TIMESTAMP NOT NULL,
        utc_offset_s      INTEGER NOT NULL,
        utc_offset_source VARCHAR NOT NULL,
        start_local       TIMESTAMP NOT NULL,
        elapsed_s         DOUBLE,
        timer_s           DOUBLE,
        distance_m        DOUBLE,
        avg_hr            DOUBLE,
        max_hr            DOUBLE,
        avg_speed_mps     DOUBLE,
        max_speed_mps     DOUBLE,
        avg_cadence_spm   DOUBLE,
        avg_power_w       DOUBLE,
        total_ascent_m    DOUBLE,
        calories          DOUBLE,
        device            VARCHAR,
        primary_source    VARCHAR NOT NULL,
        primary_source_id VARCHAR NOT NULL,
        sample_count      INTEGER NOT NULL,
        deleted           BOOLEAN NOT NULL DEFAULT false,
        updated_at        TIMESTAMP NOT NULL DEFAULT current_timestamp
    );
    INSERT INTO activities_v10 SELECT * FROM activities;
    DROP TABLE activities;  -- and its index activities_start
    ALTER TABLE activities_v10 RENAME TO activities;

    CREATE TABLE import_log_v10 (
        athlete_id  VARCHAR NOT NULL,
        log_id      BIGINT NOT NULL DEFAULT nextval('import_log_seq'),
        logged_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
        path        VARCHAR NOT NULL,
        sha256      VARCHAR,
        status      VARCHAR NOT NULL,
        message     VARCHAR,
        activity_id BIGINT
    );
    INSERT INTO import_log_v10 SELECT * FROM import_log;
    DROP TABLE import_log;
    ALTER TABLE import_log_v10 RENAME TO import_log;

    CREATE TABLE intervals_v10 (
        athlete_id      VARCHAR NOT NULL,
        activity_id     BIGINT NOT NULL,
        seg_index       INTEGER NOT NULL,
        kind            VARCHAR NOT NULL,
        set_no          INTEGER,
        rep_no          INTEGER,
        start_utc       TIMESTAMP NOT NULL,
        end_utc         TIMESTAMP NOT NULL,
        duration_s      DOUBLE,
        distance_m      DOUBLE,
        avg_speed_mps   DOUBLE,
        max_speed_mps   DOUBLE,
        avg_hr          DOUBLE,
        max_hr          DOUBLE,
        avg_hr_2nd_half DOUBLE,
        avg_cadence_spm DOUBLE,
        avg_power_w     DOUBLE,
        source          VARCHAR NOT NULL
    );
    INSERT INTO intervals_v10 SELECT * FROM intervals;
    DROP TABLE intervals;
    ALTER TABLE intervals_v10 RENAME TO intervals;

    CREATE TABLE structures_v10 (
        athlete_id  VARCHAR NOT NULL,
        activity_id BIGINT NOT NULL,
        label       VARCHAR NOT NULL,
        source      VARCHAR NOT NULL,
        n_work      INTEGER NOT NULL,
        analyzed_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
        confidence  DOUBLE
    );
    INSERT INTO structures_v10 SELECT * FROM structures;
    DROP TABLE structures;
    ALTER TABLE structures_v10 RENAME TO structures;

    CREATE TABLE sessions_v10 (
        athlete_id        VARCHAR NOT NULL,
        activity_id       BIGINT NOT NULL,
        outing_id         BIGINT NOT NULL,
        local_date        DATE NOT NULL,
        iso_week          VARCHAR NOT NULL,
        half_day          VARCHAR NOT NULL,
        sport             VARCHAR NOT NULL,
        session_type      VARCHAR NOT NULL,
        structure         VARCHAR,
        distance_m        DOUBLE,
        moving_s          DOUBLE,
        work_s            DOUBLE,
        threshold_s       DOUBLE,
        above_threshold_s DOUBLE,
        intensity_basis   VARCHAR NOT NULL,
        drift_hr_pct      DOUBLE,
        drift_pace_pct    DOUBLE,
        reason            VARCHAR NOT NULL,
        analyzed_at       TIMESTAMP NOT NULL DEFAULT current_timestamp,
        disputed          BOOLEAN
    );
    INSERT INTO sessions_v10 SELECT * FROM sessions;
    DROP TABLE sessions;
    ALTER TABLE sessions_v10 RENAME TO sessions;

    CREATE TABLE activity_peaks_v10 (
        athlete_id  VARCHAR NOT NULL,
        activity_id BIGINT NOT NULL,
        local_date  DATE NOT NULL,
        hr_60s      DOUBLE,
        hr_20min    DOUBLE,
        speed_20min DOUBLE,
        speed_60min DOUBLE,
        power_20min DOUBLE
    );
    INSERT INTO activity_peaks_v10 SELECT * FROM activity_peaks;
    DROP TABLE activity_peaks;
    ALTER TABLE activity_peaks_v10 RENAME TO activity_peaks;
    """,
    # 11: nor on the three a nightly upserts: their writes are MERGEs on the key the code
    # keeps (store/core.py _upsert), which need no index. Same columns, order, NOT NULL
    # (keys included) and defaults.
    """
    CREATE TABLE raw_files_v11 (
        athlete_id  VARCHAR NOT NULL,
        sha256      VARCHAR NOT NULL,
        size_bytes  BIGINT NOT NULL,
        first_path  VARCHAR,
        stored_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
        path        VARCHAR
    );
    INSERT INTO raw_files_v11 SELECT * FROM raw_files;
    DROP TABLE raw_files;
    ALTER TABLE raw_files_v11 RENAME TO raw_files;

    CREATE TABLE activity_sources_v11 (
        athlete_id     VARCHAR NOT NULL,
        source         VARCHAR NOT NULL,
        source_id      VARCHAR NOT NULL,
        activity_id    BIGINT NOT NULL,
        file_sha256    VARCHAR,
        original_path  VARCHAR,
        raw_json       JSON,
        sport          VARCHAR,
        start_utc      TIMESTAMP NOT NULL,
        elapsed_s      DOUBLE,
        distance_m     DOUBLE,
        sample_count   INTEGER NOT NULL,
        stream_quality DOUBLE NOT NULL,
        decoder        VARCHAR,
        imported_at    TIMESTAMP NOT NULL DEFAULT current_timestamp
    );
    INSERT INTO activity_sources_v11 SELECT * FROM activity_sources;
    DROP TABLE activity_sources;
    ALTER TABLE activity_sources_v11 RENAME TO activity_sources;

    CREATE TABLE athlete_thresholds_v11 (
        athlete_id     VARCHAR NOT NULL,
        source         VARCHAR NOT NULL,
        marker         VARCHAR NOT NULL,
        value          DOUBLE NOT NULL,
        effective_from DATE NOT NULL,
        recorded_at    TIMESTAMP NOT NULL DEFAULT current_timestamp,
        note           VARCHAR
    );
    INSERT INTO athlete_thresholds_v11 SELECT * FROM athlete_thresholds;
    DROP TABLE athlete_thresholds;
    ALTER TABLE athlete_thresholds_v11 RENAME TO athlete_thresholds;
    """,
    # 12: samples keep lat / lon as the FIT file holds them, integer semicircles
    # (degrees = semicircles * 180 / 2^31), in BIGINT columns; `lat` and `lon` stay, as
    # virtual columns computed from them, so reads and user SQL see the same DOUBLE degrees
    # (bit for bit for FIT positions: both are the same exact product). Why (issue 14):
    # a semicircle in degrees is a binary fraction, not a short decimal, so DuckDB's ALP
    # falls back to ALPRD, ~6.5 bytes a value; the integers bit-pack to ~2.4 (the 1,092-run
    # bench store file: 80.4 MB -> 54.3 MB, copied after). Other sources' degrees round to
    # the nearest semicircle (4.2e-8 degrees, under 5 mm); a NaN or infinite one is NULL.
    # Insert through STORED_AS (a generated column takes no value). Same row order.
    """
    CREATE TABLE samples_v12 (
        athlete_id      VARCHAR NOT NULL,
        activity_id     BIGINT NOT NULL,
        t               TIMESTAMP NOT NULL,
        distance_m      DOUBLE,
        speed_mps       DOUBLE,
        heart_rate      DOUBLE,
        cadence_spm     DOUBLE,
        altitude_m      DOUBLE,
        power_w         DOUBLE,
        lat             DOUBLE AS (lat_semicircles * (180.0 / 2147483648)) VIRTUAL,
        lon             DOUBLE AS (lon_semicircles * (180.0 / 2147483648)) VIRTUAL,
        lat_semicircles BIGINT,
        lon_semicircles BIGINT
    );
    INSERT INTO samples_v12 (
        athlete_id, activity_id, t, distance_m, speed_mps, heart_rate, cadence_spm,
        altitude_m, power_w, lat_semicircles, lon_semicircles
    )
    SELECT athlete_id, activity_id, t, distance_m, speed_mps, heart_rate, cadence_spm,
           altitude_m, power_w,
           TRY_CAST(round(lat * (2147483648 / 180.0)) AS BIGINT),
           TRY_CAST(round(lon * (2147483648 / 180.0)) AS BIGINT)
    FROM samples
    ORDER BY activity_id, t;
    DROP TABLE samples;
    ALTER TABLE samples_v12 RENAME TO samples;
    """,
]
# Columns a table stores in another form than the frames written to it carry (v12):
# table -> {frame column: (stored column, SQL of the stored value from the frame column)}.
# The frame column is a virtual column of the table, computed back from the stored one.
STORED_AS: dict[str, dict[str, tuple[str, str]]] = {
    "samples": {
        "lat": ("lat_semicircles", "TRY_CAST(round(lat * (2147483648 / 180.0)) AS BIGINT)"),
        "lon": ("lon_semicircles", "TRY_CAST(round(lon * (2147483648 / 180.0)) AS BIGINT)"),
    },
}

# The migration whose Python step moves raw bytes into the raw folder first.
RAW_TO_FOLDER = 9
# Migrations that rewrite the samples table: a store migrated past one is copied once
# afterwards (store/blocks.py), or the old table's blocks would stay in the file as free
# space (DuckDB never shrinks a file): v12 on the bench store 132.7 MB -> 54.3 MB.
REWRITES_BIG_TABLE = frozenset({12})


def latest_version() -> int:
    """The schema version this code writes."""
    return len(MIGRATIONS)


def stored_forms(table: str) -> list[str]:
    """The columns of `table` that hold another column's stored form (STORED_AS)."""
    return [stored for stored, _ in STORED_AS.get(table, {}).values()]


def visible(table: str) -> str:
    """The `SELECT *` modifier that leaves out athlete_id and the stored forms (their
    virtual columns stay): a read of the table's columns as they are written."""
    return f"EXCLUDE ({', '.join(['athlete_id', *stored_forms(table)])})"
