// One topology at a time: on a 2-core machine, parallel collections that each start Postgres,
// Redis and three services only slow each other down and make timings meaningless.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
