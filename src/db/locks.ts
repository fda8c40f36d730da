// Every PostgreSQL advisory-lock id Herald takes, in one place, so two features never pick the
// same one. Single-key locks (pg_advisory_lock(bigint)) are ASCII tags; the two-key class
// (pg_advisory_lock(int, int)) holds per-row locks keyed by hashtext(id).

/** Migrations: replicas starting together apply each one exactly once. */
export const MIGRATION_LOCK = 0x4865_7261; // "Hera"
/** Creating the first user: two racing requests cannot both become the owner. */
export const FIRST_USER_LOCK = 0x4865_0001;
/** One prebuilds reconciliation pass at a time across replicas. */
export const PREBUILDS_RECONCILER_LOCK = 0x48_52_50_42; // "HRPB"
/** Class of the per-message dispatch leases: pg_try_advisory_lock(MESSAGE_LOCK_CLASS, hashtext(id)). */
export const MESSAGE_LOCK_CLASS = 0x4e6f_7469; // "Noti"
/** One lifecycle-executor tick (autostart, autostop, dormancy, deletion) at a time across replicas. */
export const LIFECYCLE_EXECUTOR_LOCK = 0x48_4c_43_59; // "HLCY"
/** One run of the weekly failed-builds report generator at a time across replicas. */
export const REPORT_GENERATOR_LOCK = 0x48_52_50_54; // "HRPT"
/** One maintenance of the notification_messages partitions (create ahead, purge old days) at a time. */
export const MESSAGE_PARTITIONS_LOCK = 0x48_4e_4d_50; // "HNMP"
