-- A task created without a priority, overlap policy, catch-up mode or DST policy was stored with the
-- proto's UNSPECIFIED (priority 0) rather than the default each stands for. Most readers took it as
-- the default, but the catch-up ran every missed fire in its window (as ALL) instead of the latest
-- (ONE). Store the defaults, as tasks are now created.
UPDATE tasks SET schedule = jsonb_set(schedule, '{catchUp,mode}', '"ONE"') WHERE schedule->'catchUp'->>'mode' = 'UNSPECIFIED';
UPDATE tasks SET schedule = jsonb_set(schedule, '{overlap}', '"SKIP"') WHERE schedule->>'overlap' = 'UNSPECIFIED';
UPDATE tasks SET schedule = jsonb_set(schedule, '{onMissingTime}', '"RUN_AT_NEXT_VALID_TIME"') WHERE schedule->>'onMissingTime' = 'UNSPECIFIED';
UPDATE tasks SET schedule = jsonb_set(schedule, '{onRepeatedTime}', '"RUN_ONCE_FIRST"') WHERE schedule->>'onRepeatedTime' = 'UNSPECIFIED';
UPDATE tasks SET priority = 3 WHERE priority = 0; -- NORMAL
UPDATE runs SET priority = 3 WHERE priority = 0;
