"""Lua scripts: each state change of a job is one atomic step in Redis.

Atomicity is what makes results exactly-once under at-least-once delivery: a chunk's results are written with
HSETNX keyed by chunk index and counted only when that write was the first, in the same step that acknowledges
the stream entry. A redelivered chunk scored a second time is acknowledged and its duplicate discarded.

Scripts touch the keys of one job and the shared stream; that is fine on a single Redis (or a replicated one),
not on Redis Cluster, which this queue does not support.
"""

from __future__ import annotations

# Shared helpers, prepended to the scripts that need them.
_PRELUDE = """
local function ack(stream, group, counter, entry_id, n_items)
  if redis.call('XACK', stream, group, entry_id) == 1 then
    redis.call('DECRBY', counter, n_items)
  end
  redis.call('XDEL', stream, entry_id)
end

local function expire_job(job, request, results, events)
  local ttl_ms = redis.call('HGET', job, 'result_ttl_ms')
  redis.call('PEXPIRE', job, ttl_ms)
  redis.call('DEL', request)
  redis.call('PEXPIRE', results, ttl_ms)
  redis.call('PEXPIRE', events, ttl_ms)
end

local function unfinished(status)
  return status == 'queued' or status == 'running'
end
"""

# KEYS: queued-items, idempotency key (or ''), job, request, chunks, events
# ARGV: job_id, total, max_items, max_age_ms, now, digest, chunk_items, default_rewards_json,
#       job key prefix (to look up an idempotent job's digest), result_ttl_ms (applied once it finishes),
#       then one ScoreRequest JSON per chunk: a worker reads and parses only its own chunk.
ENQUEUE = """
local job_id, total, max_items = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local max_age_ms, now, digest, chunk_items = ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7])
local defaults, job_prefix, result_ttl_ms = ARGV[8], ARGV[9], ARGV[10]
local request_id = ARGV[11]  -- the API request's id, so the workers' log lines carry it
local first_chunk_arg = 12
-- The client retries a call whose reply a dropped connection lost: enqueueing the same job twice is a no-op.
if redis.call('EXISTS', KEYS[3]) == 1 then return {'created', job_id} end
if KEYS[2] ~= '' then
  local existing = redis.call('GET', KEYS[2])
  if existing then
    local existing_digest = redis.call('HGET', job_prefix .. existing, 'digest')
    if existing_digest then return {'existing', existing, existing_digest} end
  end
end
local queued = tonumber(redis.call('GET', KEYS[1]) or '0')
if queued > 0 and queued + total > max_items then
  return {'full', tostring(queued)}
end
local n_chunks = math.ceil(total / chunk_items)
local status = 'queued'
if n_chunks == 0 then status = 'done' end
redis.call('HSET', KEYS[3], 'status', status, 'total', total, 'done', 0, 'n_chunks', n_chunks,
           'chunks_done', 0, 'digest', digest, 'created_at', now, 'default_rewards', defaults,
           'redelivered', 0, 'result_ttl_ms', result_ttl_ms, 'request_id', request_id)
redis.call('PEXPIRE', KEYS[3], max_age_ms)
if n_chunks == 0 then
  redis.call('HSET', KEYS[3], 'finished_at', now)
  redis.call('PEXPIRE', KEYS[3], result_ttl_ms)
end
redis.call('XADD', KEYS[6], '*', 'status', status)
redis.call('PEXPIRE', KEYS[6], max_age_ms)
for index = 0, n_chunks - 1 do
  local start = index * chunk_items
  local stop = math.min(start + chunk_items, total)
  redis.call('HSET', KEYS[4], index, ARGV[first_chunk_arg + index])
  redis.call('XADD', KEYS[5], '*', 'job_id', job_id, 'index', index, 'start', start, 'stop', stop)
end
if n_chunks > 0 then redis.call('PEXPIRE', KEYS[4], max_age_ms) end
redis.call('INCRBY', KEYS[1], total)
if KEYS[2] ~= '' then redis.call('SET', KEYS[2], job_id, 'PX', max_age_ms) end
return {'created', job_id}
"""

# KEYS: job, events   ARGV: now
# A worker took a chunk: the job is running. Returns the job's status, or false when it is gone.
START = """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return false end
if status == 'queued' then
  redis.call('HSET', KEYS[1], 'status', 'running', 'started_at', ARGV[1])
  redis.call('XADD', KEYS[2], '*', 'status', 'running')
  return 'running'
end
return status
"""

# KEYS: job, request, results, events, chunks, queued-items
# ARGV: group, entry_id, index, n_items, results_json, now, consumer
RECORD = (
    _PRELUDE
    + """
local status = redis.call('HGET', KEYS[1], 'status')
local outcome = 'dropped'
if status and unfinished(status) then
  outcome = 'duplicate'
  if redis.call('HSETNX', KEYS[3], ARGV[3], ARGV[5]) == 1 then
    outcome = 'recorded'
    redis.call('PEXPIRE', KEYS[3], math.max(redis.call('PTTL', KEYS[1]), 1))
    local done = redis.call('HINCRBY', KEYS[1], 'done', ARGV[4])
    local chunks_done = redis.call('HINCRBY', KEYS[1], 'chunks_done', 1)
    redis.call('HSET', KEYS[1], 'worker:' .. ARGV[3], ARGV[7])
    if chunks_done == tonumber(redis.call('HGET', KEYS[1], 'n_chunks')) then
      redis.call('HSET', KEYS[1], 'status', 'done', 'finished_at', ARGV[6])
      redis.call('XADD', KEYS[4], '*', 'status', 'done')
      expire_job(KEYS[1], KEYS[2], KEYS[3], KEYS[4])
    else
      redis.call('XADD', KEYS[4], '*', 'done', done)
    end
  end
end
ack(KEYS[5], ARGV[1], KEYS[6], ARGV[2], ARGV[4])
return outcome
"""
)

# KEYS: job, request, results, events, chunks, queued-items
# ARGV: group, entry_id, n_items, message, field_json, now
# A chunk cannot be scored (bad request for this worker, poison chunk): the job fails with the reason.
FAIL = (
    _PRELUDE
    + """
local status = redis.call('HGET', KEYS[1], 'status')
if status and unfinished(status) then
  redis.call('HSET', KEYS[1], 'status', 'failed', 'error', ARGV[4], 'error_field', ARGV[5],
             'finished_at', ARGV[6])
  redis.call('XADD', KEYS[4], '*', 'status', 'failed')
  expire_job(KEYS[1], KEYS[2], KEYS[3], KEYS[4])
end
ack(KEYS[5], ARGV[1], KEYS[6], ARGV[2], ARGV[3])
return status
"""
)

# KEYS: chunks, queued-items   ARGV: group, entry_id, n_items
# Drop a chunk whose job is gone or finished.
ACK = (
    _PRELUDE
    + """
ack(KEYS[1], ARGV[1], KEYS[2], ARGV[2], ARGV[3])
return 1
"""
)

# KEYS: job, request, results, events   ARGV: now
CANCEL = (
    _PRELUDE
    + """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return false end
if unfinished(status) then
  redis.call('HSET', KEYS[1], 'status', 'cancelled', 'finished_at', ARGV[1])
  redis.call('XADD', KEYS[4], '*', 'status', 'cancelled')
  expire_job(KEYS[1], KEYS[2], KEYS[3], KEYS[4])
  return 'cancelled'
end
return status
"""
)

# KEYS: chunks, job   ARGV: group, consumer, entry_id
# A worker still scoring a chunk resets its idle time so nobody reclaims it, but only while it still owns the
# entry: a chunk already reclaimed by another worker is not taken back. Returns the job's status.
TOUCH = """
local owned = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1, ARGV[2])
if #owned == 1 then
  redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID')
end
return redis.call('HGET', KEYS[2], 'status')
"""

# KEYS: job
# The first reader of a done job's results claims them for its process's metrics: 1 once, then 0 (0 too for a
# job gone or unfinished). HSETNX on the existing hash keeps its expiry, and an expired job is not recreated.
CLAIM_METRICS = """
if redis.call('HGET', KEYS[1], 'status') ~= 'done' then return 0 end
return redis.call('HSETNX', KEYS[1], 'metrics_claimed', 1)
"""

# KEYS: workers   ARGV: consumer, ttl_s
# A worker's heartbeat, on the Redis clock so machines with skewed clocks agree; forgets long-dead workers.
HEARTBEAT = """
local now = tonumber(redis.call('TIME')[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 3600)
return 1
"""

# KEYS: workers   Counts workers whose heartbeat has not run out.
LIVE_WORKERS = """
return redis.call('ZCOUNT', KEYS[1], tonumber(redis.call('TIME')[1]), '+inf')
"""

# KEYS: job, chunks, queued-items   ARGV: group, entry_id, n_items
# A chunk delivered again is counted on its job. A chunk whose job is gone (expired, or lost in a restart)
# is acknowledged and dropped here: writing to the job would recreate its hash without a TTL or a status.
# Returns the job's status, or false when it is gone.
REDELIVERED = (
    _PRELUDE
    + """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  ack(KEYS[2], ARGV[1], KEYS[3], ARGV[2], ARGV[3])
  return false
end
redis.call('HINCRBY', KEYS[1], 'redelivered', 1)
return status
"""
)

# KEYS: chunks   ARGV: group, consumer
# A worker stopping cleanly leaves the group, but only with nothing pending: deleting a consumer deletes its
# pending entries, and a chunk in hand must stay claimable. Returns 1 when the consumer was deleted.
RELEASE_CONSUMER = """
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) > 0 then return 0 end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1
"""

# KEYS: chunks, workers   ARGV: group, idle_ms
# Delete consumers of dead workers: nothing pending, idle longer than idle_ms, and no live heartbeat.
# Returns the names deleted.
REAP_CONSUMERS = """
local now = tonumber(redis.call('TIME')[1])
local reaped = {}
for _, row in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local info = {}
  for i = 1, #row, 2 do info[row[i]] = row[i + 1] end
  local alive_until = tonumber(redis.call('ZSCORE', KEYS[2], info['name']) or '0')
  if info['pending'] == 0 and info['idle'] > tonumber(ARGV[2]) and alive_until < now then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
    reaped[#reaped + 1] = info['name']
  end
end
return reaped
"""
