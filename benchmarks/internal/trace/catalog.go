package trace

import (
	"os"
	"path/filepath"
)

// EnvDir is the environment variable that, when set, names the directory
// holding the shared trace files. Tools default to "../shared/traces"
// relative to the repository root when it is unset.
const EnvDir = "STRATA_TRACES"

// Dir returns the value of $STRATA_TRACES if it is set and not empty, and
// def otherwise. It does not check that the directory exists.
func Dir(def string) string {
	if d := os.Getenv(EnvDir); d != "" {
		return d
	}
	return def
}

// Info describes one shared trace file.
type Info struct {
	// Name is the file name inside the traces directory, such as
	// "oltp.arc.gz".
	Name string
	// Format is the encoding selected by the name's suffix.
	Format Format
	// Description says briefly what workload the trace records.
	Description string
	// Source is the citation or attribution that the trace's terms ask
	// users to give; reproduce it wherever results from the trace appear.
	Source string
	// Requests is the number of requests (keys) in the trace, with ARC runs
	// expanded.
	Requests int
	// Distinct is the number of distinct keys.
	Distinct int
	// Sizes are the cache sizes (in entries) conventionally used with this
	// trace, ascending. Reference holds a row for each of them.
	Sizes []int
	// Reference gives, for each size in Sizes and in the same order, the
	// hit ratios measured for exact LRU, for ARC and for Bélády's OPT.
	Reference []Ref
}

// Ref holds reference hit ratios, in percent, of one trace at one cache
// size, from a cold cache with compulsory misses counted.
type Ref struct {
	// Size is the cache capacity in entries.
	Size int
	// LRU, ARC and OPT are hit ratios in percent, rounded to two decimals.
	LRU, ARC, OPT float64
}

// Path returns the path of the trace file inside dir.
func (i Info) Path(dir string) string { return filepath.Join(dir, i.Name) }

// Load reads the whole trace from dir into memory.
func (i Info) Load(dir string) ([]uint64, error) { return Load(i.Path(dir)) }

// Ref returns the reference row for the cache size size, if there is one.
func (i Info) Ref(size int) (Ref, bool) {
	for _, r := range i.Reference {
		if r.Size == size {
			return r, true
		}
	}
	return Ref{}, false
}

// Citations for the trace families.
const (
	arcCitation = `Nimrod Megiddo and Dharmendra S. Modha, "ARC: A Self-Tuning, Low Overhead Replacement Cache", ` +
		`Proc. 2nd USENIX Conference on File and Storage Technologies (FAST '03), 2003. ` +
		`The trace's terms require citing this paper.`
	vtraceNote = ` The P traces were captured with VTrace on Windows NT workstations ` +
		`(Hsu, Smith and Young, UC Berkeley, 2001).`
	lirsCitation = `Song Jiang and Xiaodong Zhang, "LIRS: An Efficient Low Inter-reference Recency Set ` +
		`Replacement Policy to Improve Buffer Cache Performance", Proc. ACM SIGMETRICS 2002.`
)

// Traces returns the catalog of the nine shared trace files, in a fixed
// order: oltp, p3, p6, loop, gli, sprite, multi2, scarab-recs, web12. Each
// call returns a fresh copy that the caller may modify.
func Traces() []Info {
	ts := []Info{
		{
			Name:        "oltp.arc.gz",
			Format:      ARC,
			Description: "database: one hour of page references to a CODASYL OLTP database (ARC paper)",
			Source:      arcCitation,
			Requests:    914145,
			Distinct:    186880,
			Reference: refs(
				[]int{250, 500, 750, 1000, 1250, 1500, 1750, 2000, 5000, 10000, 15000},
				[]float64{16.47, 23.45, 28.28, 32.83, 36.21, 38.70, 40.79, 42.47, 53.65, 60.70, 64.63},
				[]float64{21.46, 30.61, 36.04, 39.06, 41.34, 43.15, 44.77, 46.17, 55.12, 61.92, 65.58},
				[]float64{38.43, 46.42, 50.66, 53.61, 55.83, 57.62, 59.13, 60.40, 68.27, 73.02, 75.14},
			),
		},
		{
			Name:        "p3.arc.gz",
			Format:      ARC,
			Description: "storage: disk block references of a Windows NT workstation (ARC paper P3)",
			Source:      arcCitation + vtraceNote,
			Requests:    3912296,
			Distinct:    762543,
			Reference: refs(
				[]int{25000, 32768, 50000, 100000, 200000, 300000, 400000, 500000, 600000},
				[]float64{2.60, 3.57, 6.86, 29.34, 59.35, 68.93, 75.30, 79.46, 80.16},
				[]float64{12.75, 17.10, 21.97, 40.78, 59.62, 70.12, 77.12, 79.49, 79.97},
				[]float64{26.04, 32.25, 43.15, 62.00, 74.08, 79.51, 80.51, 80.51, 80.51},
			),
		},
		{
			Name:        "p6.arc.gz",
			Format:      ARC,
			Description: "storage: scan-heavy disk block references of a Windows NT workstation (ARC paper P6)",
			Source:      arcCitation + vtraceNote,
			Requests:    12672123,
			Distinct:    773770,
			Reference: refs(
				[]int{1024, 4096, 16384, 32768, 65536, 131072, 262144, 524288},
				[]float64{0.71, 1.09, 1.69, 4.24, 17.76, 76.18, 90.16, 93.54},
				[]float64{0.84, 3.17, 12.96, 23.70, 31.56, 79.42, 90.20, 93.42},
				[]float64{2.75, 6.89, 21.56, 38.74, 66.89, 88.00, 93.47, 93.89},
			),
		},
		{
			Name:        "loop.lirs.gz",
			Format:      LIRS,
			Description: "pure loop: keys 0..1010 in order, 500 times; LRU and ARC get nothing below 1011 entries",
			Source:      lirsCitation,
			Requests:    505500,
			Distinct:    1011,
			// Every size of 1011 or more holds the whole loop: 99.80 for all.
			Reference: refs(
				[]int{250, 256, 500, 512, 750, 1000, 1250, 1500, 1750, 2000},
				[]float64{0, 0, 0, 0, 0, 0, 99.80, 99.80, 99.80, 99.80},
				[]float64{0, 0, 0, 0, 0, 0, 99.80, 99.80, 99.80, 99.80},
				[]float64{24.63, 25.22, 49.36, 50.54, 74.04, 98.71, 99.80, 99.80, 99.80, 99.80},
			),
		},
		{
			Name:        "gli.lirs.gz",
			Format:      LIRS,
			Description: "glimpse text search: looping references (LIRS paper); at most 57.96% can hit",
			Source:      lirsCitation,
			Requests:    6015,
			Distinct:    2529,
			Reference: refs(
				[]int{250, 500, 750, 1000, 1250, 1500, 1750, 2000},
				[]float64{0.91, 0.95, 1.15, 11.21, 21.25, 36.56, 45.04, 57.41},
				[]float64{1.38, 1.38, 1.41, 21.30, 34.43, 50.44, 55.06, 57.41},
				[]float64{17.64, 34.26, 46.10, 53.13, 57.29, 57.96, 57.96, 57.96},
			),
		},
		{
			Name:        "sprite.lirs.gz",
			Format:      LIRS,
			Description: "Sprite network file system: file server requests over two days; temporally clustered, LRU-friendly",
			Source:      lirsCitation,
			Requests:    133996,
			Distinct:    7075,
			Reference: refs(
				[]int{100, 200, 400, 600, 800, 1000},
				[]float64{21.58, 39.88, 70.77, 83.19, 88.55, 90.64},
				[]float64{25.59, 42.63, 70.13, 82.15, 87.66, 89.84},
				[]float64{50.80, 68.86, 84.56, 89.95, 92.19, 93.24},
			),
		},
		{
			Name:        "multi2.lirs.gz",
			Format:      LIRS,
			Description: "mixed: cs, cpp and postgres run together (LIRS paper)",
			Source:      lirsCitation,
			Requests:    26311,
			Distinct:    5684,
			Reference: refs(
				[]int{600, 1800, 3000},
				[]float64{37.13, 48.49, 71.18},
				[]float64{39.84, 50.93, 72.56},
				[]float64{55.51, 73.13, 78.40},
			),
		},
		{
			Name:        "scarab-recs.i64be.gz",
			Format:      Int64BE,
			Description: "web service: hashed product-recommendation key lookups of an e-commerce site (excerpt)",
			Source:      "Scarab Research (trace contributed by Viktor Szathmáry to the Caffeine simulator, 2016).",
			Requests:    1245184,
			Distinct:    258368,
			Reference: refs(
				[]int{1000, 5000, 10000, 25000, 50000, 75000, 100000},
				[]float64{26.96, 41.20, 48.65, 60.13, 69.15, 73.51, 75.91},
				[]float64{33.13, 46.14, 52.31, 61.99, 69.80, 73.90, 76.09},
				[]float64{44.91, 59.72, 66.57, 74.79, 78.63, 79.25, 79.25},
			),
		},
		{
			Name:        "web12.i32be.gz",
			Format:      Int32BE,
			Description: "web application: normalized HTTP requests to product-detail pages of an e-commerce site in December",
			Source: "© headissue GmbH, Jens Wilke. Licensed under CC BY 4.0 " +
				"(https://creativecommons.org/licenses/by/4.0/); the cache2k web12 trace.",
			Requests: 95607,
			Distinct: 13756,
			Reference: refs(
				[]int{300, 1200, 3000},
				[]float64{49.01, 66.85, 76.48},
				[]float64{51.44, 69.43, 77.95},
				[]float64{66.83, 79.12, 84.24},
			),
		},
	}
	for i := range ts {
		ts[i].Sizes = make([]int, len(ts[i].Reference))
		for j, r := range ts[i].Reference {
			ts[i].Sizes[j] = r.Size
		}
	}
	return ts
}

// Lookup returns the catalog entry whose Name is name.
func Lookup(name string) (Info, bool) {
	for _, i := range Traces() {
		if i.Name == name {
			return i, true
		}
	}
	return Info{}, false
}

// refs zips the columns of a reference table into rows. It is only called
// with literal tables of equal lengths.
func refs(sizes []int, lru, arc, opt []float64) []Ref {
	out := make([]Ref, len(sizes))
	for i, s := range sizes {
		out[i] = Ref{Size: s, LRU: lru[i], ARC: arc[i], OPT: opt[i]}
	}
	return out
}
