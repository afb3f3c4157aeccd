package codec

import (
	"math"
	"reflect"
	"strings"
)

// Decoding budget.
//
// A codec bounds what decoding may allocate by estimating it from the
// bytes before the decoder runs. The estimate follows V's structure (a
// plan, built once per codec): a slice of n elements costs n times the
// element's size times a growth factor, a map n entries times its slot,
// a pointer its target, a string its length times a factor, an
// interface the box and what goes in it. The factors are those of the
// decoders this package uses (model). For small bodies a worst case, the
// body's length times the most any one input byte can cost, settles it
// at once; larger ones are scanned.

// model holds the allocation factors of one format's decoder.
type model struct {
	slice int64 // bytes allocated per element byte of a decoded slice
	mapf  int64 // bytes allocated per slot byte of a decoded map
	str   int64 // bytes allocated per byte of a string or byte payload
}

var (
	// msgpack allocates a slice twice (make, then append), sizes maps
	// by their count, and reads payloads through a growing scratch buffer.
	msgpackModel = &model{slice: 2, mapf: 3, str: 4}
	// encoding/json and encoding/gob grow slices and maps as they go:
	// every outgrown buffer counts.
	jsonModel = &model{slice: 8, mapf: 6, str: 4}
	gobModel  = &model{slice: 8, mapf: 6, str: 4}
)

const (
	containerHead = 64 // a map's header, or a slice or map boxed in an interface
	ifaceBox      = 24 // a scalar, string or slice header boxed in an interface
	ifaceSlot     = 16 // an interface value in a slice or map
)

type pkind uint8

const (
	pScalar pkind = iota
	pString       // string kinds: the payload is the cost
	pSlice
	pArray
	pMap
	pPtr
	pStruct
	pIface
	pOpaque // decodes itself: its payload is the cost
	pAny    // unknown: anything reachable from V, at the worst
)

// pnode is one type of a plan.
type pnode struct {
	kind      pkind
	size      int64 // inline size of the Go type
	elem, key *pnode
	mp, js    map[string]*pnode // struct fields by msgpack name and lower-cased JSON name
	extra     int64             // struct: embedded structs behind pointers, allocated when set
}

// plan is the cost structure of a type: its nodes and the largest
// per-value cost found anywhere in it, which bounds what a value decoded
// as something unexpected (pAny) may cost.
type plan struct {
	root    *pnode
	any     *pnode
	maxElem int64
}

func newPlan(t reflect.Type) *plan {
	b := planBuilder{memo: make(map[reflect.Type]*pnode)}
	p := &plan{root: b.node(t), any: &pnode{kind: pAny}, maxElem: containerHead}
	for _, n := range b.all {
		p.maxElem = max(p.maxElem, n.elemCost())
	}
	return p
}

// elemCost is the most one value of n can cost apart from its payload and
// its own contents: one slot of its slices or maps, its pointer chain.
func (n *pnode) elemCost() int64 {
	switch n.kind {
	case pSlice:
		return n.elem.size
	case pMap:
		return satAdd(satAdd(n.key.size, n.elem.size), 8)
	case pPtr:
		var s int64
		for x, i := n, 0; x.kind == pPtr && i < 64; x, i = x.elem, i+1 {
			s = satAdd(s, x.elem.size)
		}
		return s
	case pStruct:
		return n.extra
	case pOpaque:
		return n.size
	case pIface:
		return ifaceBox
	}
	return 0
}

// worst bounds the cost of decoding any body of n bytes: every value takes
// at least one byte, and none costs more than maxElem as an element (plus
// the allocator's rounding), its container's head or box, and its
// payload.
func (p *plan) worst(n int, m *model) int64 {
	perByte := satAdd(satMul(max(m.slice, m.mapf), alloc(p.maxElem)), p.maxElem+containerHead+m.str)
	return satAdd(p.root.size, satMul(int64(n), perByte))
}

type planBuilder struct {
	memo map[reflect.Type]*pnode
	all  []*pnode
}

func (b *planBuilder) node(t reflect.Type) *pnode {
	if n, ok := b.memo[t]; ok {
		return n
	}
	n := &pnode{size: int64(t.Size())}
	b.memo[t] = n
	b.all = append(b.all, n)
	if custom(t) {
		n.kind = pOpaque
		return n
	}
	switch t.Kind() {
	case reflect.String:
		n.kind = pString
	case reflect.Slice:
		n.kind, n.elem = pSlice, b.node(t.Elem())
	case reflect.Array:
		n.kind, n.elem = pArray, b.node(t.Elem())
	case reflect.Map:
		n.kind, n.key, n.elem = pMap, b.node(t.Key()), b.node(t.Elem())
	case reflect.Pointer:
		n.kind, n.elem = pPtr, b.node(t.Elem())
	case reflect.Interface:
		n.kind = pIface
	case reflect.Struct:
		n.kind = pStruct
		n.mp, n.js = make(map[string]*pnode), make(map[string]*pnode)
		b.fields(n, t)
	default:
		n.kind = pScalar
	}
	return n
}

// fields fills n's field maps the way msgpack and encoding/json name
// fields. A name either decoder would match differently is looked up in
// vain and charged as pAny, which costs more, never less.
func (b *planBuilder) fields(n *pnode, t reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		fn := b.node(f.Type)
		embedded := f.Type
		for embedded.Kind() == reflect.Pointer {
			embedded = embedded.Elem()
		}
		inline := f.Anonymous && embedded.Kind() == reflect.Struct && !custom(embedded)
		if inline && f.Type.Kind() == reflect.Pointer {
			n.extra = satAdd(n.extra, int64(embedded.Size()))
		}
		var en *pnode
		if inline {
			en = b.node(embedded)
			n.extra = satAdd(n.extra, en.extra)
		}

		tag, opts, _ := strings.Cut(f.Tag.Get("msgpack"), ",")
		if tag != "-" {
			name := tag
			if name == "" {
				name = f.Name
			}
			if inline && !strings.Contains(opts, "noinline") {
				for k, v := range en.mp {
					if _, ok := n.mp[k]; !ok {
						n.mp[k] = v
					}
				}
			}
			n.mp[name] = fn
			if _, alias, ok := strings.Cut(opts, "alias="); ok {
				alias, _, _ = strings.Cut(alias, ",")
				n.mp[alias] = fn
			}
		}

		jtag := f.Tag.Get("json")
		if jtag == "-" {
			continue
		}
		name, _, _ := strings.Cut(jtag, ",")
		if inline && name == "" {
			for k, v := range en.js {
				if _, ok := n.js[k]; !ok {
					n.js[k] = v
				}
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		n.js[strings.ToLower(name)] = fn
	}
}

// limits are a codec's decoding bounds.
type limits struct {
	maxDecode int64
	budget    *Budget
	plan      *plan
}

func newLimits[V any](o Options) limits {
	m := o.MaxDecodeBytes
	if m == 0 {
		m = DefaultMaxDecodeBytes
	}
	return limits{maxDecode: m, budget: o.Budget, plan: newPlan(reflect.TypeFor[V]())}
}

// scanFunc estimates the cost of decoding body by plan p, stopping once it
// exceeds limit (over). err is set for bytes the format cannot decode.
type scanFunc func(p *plan, body []byte, limit int64) (cost int64, over bool, err error)

// check estimates, before anything is decoded, what decoding body will
// cost, and refuses it when that is over the limits. Without a Budget, a
// body whose worst case fits is let through unscanned.
func (l *limits) check(m *meta, body []byte, md *model, scan scanFunc) error {
	worst := l.plan.worst(len(body), md)
	if l.budget == nil && worst <= l.maxDecode {
		return nil
	}
	limit := l.maxDecode
	if l.budget != nil {
		limit = min(limit, l.budget.Left())
	}
	cost, over, err := scan(l.plan, body, limit)
	if err != nil {
		return m.corrupt(err)
	}
	if over {
		return l.tooLarge(m, len(body), "more than", limit)
	}
	if l.budget != nil && !l.budget.take(cost) {
		return l.tooLarge(m, len(body), "", cost)
	}
	return nil
}

// checkWorst refuses body when its worst case exceeds the per-call limit,
// for a decoder that cannot be scanned (gob).
func (l *limits) checkWorst(m *meta, body []byte, md *model) error {
	if w := l.plan.worst(len(body), md); w > l.maxDecode {
		return l.tooLarge(m, len(body), "up to", w)
	}
	return nil
}

// charge takes n decoded bytes from the Budget, if any.
func (l *limits) charge(m *meta, body []byte, n int64) error {
	if l.budget != nil && !l.budget.take(n) {
		return l.tooLarge(m, len(body), "", n)
	}
	return nil
}

// checkFlat checks a value that costs exactly n bytes (a raw copy).
func (l *limits) checkFlat(m *meta, n int64) error {
	if n > l.maxDecode {
		return l.tooLarge(m, int(n), "", n)
	}
	return l.charge(m, nil, n)
}

func (l *limits) tooLarge(m *meta, n int, qual string, cost int64) error {
	if qual != "" {
		qual += " "
	}
	left := ""
	if l.budget != nil {
		left = ", or what is left of Options.Budget"
	}
	return m.decodeErrorf(ErrTooLarge, "decoding the %d-byte body could take %s%d bytes, over the budget of %d (Options.MaxDecodeBytes%s)",
		n, qual, cost, l.maxDecode, left)
}

// costScan accumulates an estimate up to a limit.
type costScan struct {
	p     *plan
	md    *model
	cost  int64
	limit int64
	over  bool
}

func (s *costScan) charge(n int64) {
	s.cost = satAdd(s.cost, n)
	if s.cost > s.limit {
		s.over = true
	}
}

// chargeN charges an allocation of k slots of size bytes, made f times
// over (growth).
func (s *costScan) chargeN(k int, size, f int64) { s.charge(satMul(alloc(satMul(int64(k), size)), f)) }

// alloc is what the Go allocator takes for an n-byte request: size
// classes waste up to an eighth, pages of large objects up to a quarter.
func alloc(n int64) int64 {
	if n == 0 {
		return 0
	}
	return satAdd(satAdd(n, n/4), 16)
}

// pointers charges the targets of the pointers a non-nil value goes
// through and returns the node the value itself is decoded as.
func (s *costScan) pointers(n *pnode) *pnode {
	for i := 0; n.kind == pPtr && i < 64; i++ {
		s.charge(n.elem.size)
		n = n.elem
	}
	return n
}

// scalar charges a value without payload or contents decoded as n.
func (s *costScan) scalar(n *pnode) {
	switch n.kind {
	case pIface:
		s.charge(ifaceBox)
	case pAny:
		s.charge(s.p.maxElem)
	}
}

// payload charges a string, byte or extension payload of k bytes. Into
// a byte array it is copied in place.
func (s *costScan) payload(n *pnode, k int) {
	if n.kind != pArray {
		s.charge(satMul(alloc(int64(k)), s.md.str))
	}
	s.scalar(n)
}

func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func satMul(a, b int64) int64 {
	if a != 0 && b > math.MaxInt64/a {
		return math.MaxInt64
	}
	return a * b
}

// measure returns what a decoded value holds beyond its inline size, by
// the same model: for decoders that cannot be scanned beforehand (gob),
// so that a Budget is still charged. Values decoded by gob are trees.
func measure(v reflect.Value, m *model) int64 {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return 0
		}
		return satAdd(int64(v.Type().Elem().Size()), measure(v.Elem(), m))
	case reflect.Interface:
		if v.IsNil() {
			return 0
		}
		return satAdd(ifaceBox+int64(v.Elem().Type().Size()), measure(v.Elem(), m))
	case reflect.String:
		return satMul(int64(v.Len()), m.str)
	case reflect.Slice:
		n := satMul(satMul(int64(v.Cap()), int64(v.Type().Elem().Size())), m.slice)
		if pointerFree(v.Type().Elem()) {
			return n
		}
		for i := range v.Len() {
			n = satAdd(n, measure(v.Index(i), m))
		}
		return n
	case reflect.Array:
		var n int64
		if pointerFree(v.Type().Elem()) {
			return 0
		}
		for i := range v.Len() {
			n = satAdd(n, measure(v.Index(i), m))
		}
		return n
	case reflect.Map:
		t := v.Type()
		n := satAdd(containerHead, satMul(satMul(int64(v.Len()), int64(t.Key().Size()+t.Elem().Size()+8)), m.mapf))
		for it := v.MapRange(); it.Next(); {
			n = satAdd(n, satAdd(measure(it.Key(), m), measure(it.Value(), m)))
		}
		return n
	case reflect.Struct:
		var n int64
		for i := range v.NumField() {
			n = satAdd(n, measure(v.Field(i), m))
		}
		return n
	}
	return 0
}

// pointerFree reports whether values of t hold nothing outside themselves.
func pointerFree(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Array:
		return pointerFree(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if !pointerFree(t.Field(i).Type) {
				return false
			}
		}
		return true
	case reflect.Pointer, reflect.Interface, reflect.String, reflect.Slice, reflect.Map,
		reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return false
	}
	return true
}
