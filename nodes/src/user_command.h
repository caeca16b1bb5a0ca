// `lintas-node user ...`: offline account administration on the node's own
// data directory (first administrator, recovery), while the node is stopped.
// A running node holds the RocksDB lock; then `lintas admin user ...` against
// its API is the way.
#pragma once

namespace lintas::node {

// argv[1] is "user". Returns the process exit code: 0 done, 1 the node is
// running (its data directory is locked), 2 bad input or any other error.
// Reads passwords from the terminal (no echo) or, with --password-stdin, one
// line of standard input; never prints or logs them.
int RunUserCommand(int argc, char** argv);

}  // namespace lintas::node
