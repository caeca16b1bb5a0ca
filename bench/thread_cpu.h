// CPU time of a process's threads, by thread name, from /proc: where each
// microsecond of an event goes (the broker's loop, its commit thread, ZeroMQ's
// I/O thread, RocksDB's flushes, and the load generator itself).
#pragma once

#include <map>
#include <string>

#include <sys/types.h>

namespace lintas::bench {

// User + system CPU seconds of every thread of `pid`, summed by the thread's
// name (/proc/<pid>/task/<tid>/comm); empty when /proc cannot be read.
// Threads that ended before the call are not counted.
std::map<std::string, double> ThreadCpuSeconds(pid_t pid);

// User + system CPU seconds of the whole process `pid`, threads that ended
// included (/proc/<pid>/stat); 0 when unreadable.
double ProcessCpuSeconds(pid_t pid);

// CPU seconds of the calling thread so far (CLOCK_THREAD_CPUTIME_ID): the
// load generator's threads measure themselves, since they end before the
// process is sampled.
double CallingThreadCpuSeconds();

// after - before, name by name (names only in `after` count from zero).
std::map<std::string, double> CpuSince(const std::map<std::string, double>& before,
                                       const std::map<std::string, double>& after);

// A short role for a broker thread name: "loop", "commit", "zmq_io",
// "rocksdb_flush", "rocksdb_compaction", "metrics", or the name made
// [a-z0-9_].
std::string ThreadRole(const std::string& name);

}  // namespace lintas::bench
