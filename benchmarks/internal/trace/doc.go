// Package trace reads cache access traces, describes the shared trace set,
// generates a synthetic Zipf workload, and computes reference hit counts
// (exact LRU and Bélády's optimal) for checking replacement policies.
//
// # Formats
//
// Every trace file is gzip-compressed. The format is chosen from the file
// name suffix:
//
//   - ".arc.gz" (ARC text): each line holds four decimal fields,
//     "start count ignored reqno". The line stands for count consecutive
//     requests, for keys start, start+1, ..., start+count-1. Only the first
//     two fields are used; the other two must still be integers. A run is
//     limited to 1<<20 keys, which is far above anything seen in practice
//     and keeps a corrupt line from expanding into billions of requests.
//   - ".lirs.gz" (LIRS text): one non-negative decimal key per line. A line
//     holding only "*" is a checkpoint marker and is skipped.
//   - ".i64be.gz" and ".i32be.gz" (binary): a bare sequence of signed
//     big-endian integers, 8 or 4 bytes each, one request per integer, with
//     no header. A negative value v becomes the key uint64(int64(v)), that
//     is, it is sign-extended to 64 bits and reinterpreted, so -1 becomes
//     math.MaxUint64 in both widths and equal values read from either width
//     give equal keys.
//
// In both text formats surrounding white space (including the '\r' of CRLF
// line endings) is trimmed and empty lines are skipped. Anything else that
// does not fit the format is reported as a *ParseError naming the file and
// the line (text) or byte offset (binary), never as a panic.
//
// # Traces and workloads
//
// Traces lists the nine shared trace files with their provenance, the
// citation or attribution their terms ask for, and their conventional cache
// sizes with reference hit ratios. The files themselves are not part of the
// repository: callers pass the directory (see Dir and EnvDir). Synthetic
// describes the Zipf workloads produced by Zipf.
//
// # Hit ratios
//
// LRU and OPT count hits of a cold cache over an in-memory trace; the hit
// ratio is hits divided by all requests, compulsory misses included, which
// is how the reference numbers in the catalog were computed.
package trace
