package transcribe

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Mixw is an acoustic model's mixture weights: for each senone and feature stream, the
// weights of its codebook's densities (summing to one).
type Mixw struct {
	Senones, Streams, Densities int
	W                           []float32 // [senone][stream][density]
}

// sendumpStep is the size of one quantisation step of a pocketsphinx sendump: weights are kept
// as −log base 1.0001 of the weight, shifted right by 10 bits, in a byte (sphinxtrain's
// mk_s2sendump -pocketsphinx yes), so a byte v stands for 1.0001^(−1024·v).
var sendumpStep = 1024 * math.Log(1.0001)

// ReadSendump reads a pocketsphinx "sendump" file, the compressed mixture weights Debian's
// en-us model ships instead of mixture_weights: int32-length-prefixed header strings ending
// with an empty one, then #densities and #senones (int32), then one byte a weight, stream by
// stream and density by density, all senones in a row. Adaptation needs the weights as
// floats (sphinxtrain's bw reads mixture_weights); name is for errors.
func ReadSendump(b []byte, name string) (*Mixw, error) {
	r := &sendumpReader{b: b, name: name}
	streams, err := r.header()
	if err != nil {
		return nil, err
	}
	dens, err := r.i32("#densities")
	if err != nil {
		return nil, err
	}
	sen, err := r.i32("#senones")
	if err != nil {
		return nil, err
	}
	if dens < 1 || dens > 4096 || sen < 1 || sen > 1<<20 {
		return nil, fmt.Errorf("%s: %d densities, %d senones: out of range", name, dens, sen)
	}
	if want := streams * dens * sen; len(b)-r.off != want {
		return nil, fmt.Errorf("%s: %d bytes of weights, want %d (%d streams × %d densities × %d senones)", name, len(b)-r.off, want, streams, dens, sen)
	}
	m := &Mixw{Senones: sen, Streams: streams, Densities: dens, W: make([]float32, sen*streams*dens)}
	data := b[r.off:]
	for f := range streams {
		for d := range dens {
			row := data[(f*dens+d)*sen:][:sen]
			for s, v := range row {
				m.W[(s*streams+f)*dens+d] = float32(math.Exp(-sendumpStep * float64(v)))
			}
		}
	}
	m.normalize()
	return m, nil
}

// normalize makes each mixture sum to one (quantisation leaves them about one, not exactly).
func (m *Mixw) normalize() {
	for k := 0; k < m.Senones*m.Streams; k++ {
		w := m.W[k*m.Densities : (k+1)*m.Densities]
		var sum float64
		for _, x := range w {
			sum += float64(x)
		}
		for i := range w {
			w[i] = float32(float64(w[i]) / sum)
		}
	}
}

type sendumpReader struct {
	b    []byte
	name string
	off  int
}

func (r *sendumpReader) i32(what string) (int, error) {
	if r.off+4 > len(r.b) {
		return 0, fmt.Errorf("%s: ends at byte %d, in %s", r.name, len(r.b), what)
	}
	v := int32(binary.LittleEndian.Uint32(r.b[r.off:]))
	r.off += 4
	return int(v), nil
}

// header reads the header strings up to the empty one, returning the number of feature
// streams (feature_count); clustered weights are refused.
func (r *sendumpReader) header() (streams int, err error) {
	streams = 1
	for k := 0; ; k++ {
		n, err := r.i32("the header")
		if err != nil {
			return 0, err
		}
		if n == 0 {
			return streams, nil
		}
		if n < 0 || n > 4096 || r.off+n > len(r.b) || k > 100 {
			return 0, fmt.Errorf("%s: header string %d at byte %d: bad length %d", r.name, k+1, r.off-4, n)
		}
		s := strings.TrimRight(string(r.b[r.off:r.off+n]), "\x00")
		r.off += n
		if v, ok := strings.CutPrefix(s, "feature_count "); ok {
			if streams, err = strconv.Atoi(v); err != nil || streams < 1 || streams > 8 {
				return 0, fmt.Errorf("%s: feature_count %q", r.name, v)
			}
		}
		if v, ok := strings.CutPrefix(s, "cluster_count "); ok && v != "0" {
			return 0, fmt.Errorf("%s: clustered (cluster_count %s) weights are not supported", r.name, v)
		}
	}
}

// s3Magic is the byte-order mark of Sphinx-3 binary model files.
const s3Magic = 0x11223344

// MarshalS3 writes m as a Sphinx-3 mixture_weights file (what sphinxtrain and pocketsphinx
// read): the text header "s3", "version 1.0", "endhdr", the byte-order mark, the three
// dimensions and the count, then the weights as little-endian float32. No checksum is
// written (the header says none).
func (m *Mixw) MarshalS3() []byte {
	var buf bytes.Buffer
	buf.WriteString("s3\nversion 1.0\nendhdr\n")
	w := func(v uint32) { binary.Write(&buf, binary.LittleEndian, v) }
	w(s3Magic)
	w(uint32(m.Senones))
	w(uint32(m.Streams))
	w(uint32(m.Densities))
	w(uint32(len(m.W)))
	binary.Write(&buf, binary.LittleEndian, m.W)
	return buf.Bytes()
}

// ReadS3Mixw reads a Sphinx-3 mixture_weights file (MarshalS3's form, with or without a
// checksum); name is for errors.
func ReadS3Mixw(b []byte, name string) (*Mixw, error) {
	end := bytes.Index(b, []byte("endhdr\n"))
	if !bytes.HasPrefix(b, []byte("s3\n")) || end < 0 {
		return nil, fmt.Errorf("%s: not a Sphinx-3 model file (no s3 … endhdr header)", name)
	}
	p := b[end+len("endhdr\n"):]
	if len(p) < 20 {
		return nil, fmt.Errorf("%s: cut off after its header", name)
	}
	if binary.LittleEndian.Uint32(p) != s3Magic {
		return nil, fmt.Errorf("%s: not little-endian (byte-order mark %#x)", name, binary.LittleEndian.Uint32(p))
	}
	d := func(i int) int { return int(binary.LittleEndian.Uint32(p[4+4*i:])) }
	m := &Mixw{Senones: d(0), Streams: d(1), Densities: d(2)}
	n := d(3)
	if m.Senones < 1 || m.Streams < 1 || m.Densities < 1 || m.Senones > 1<<20 || m.Streams > 8 || m.Densities > 4096 ||
		n != m.Senones*m.Streams*m.Densities || n > (len(p)-20)/4 {
		return nil, fmt.Errorf("%s: dimensions %d × %d × %d and count %d do not fit its %d bytes", name, m.Senones, m.Streams, m.Densities, n, len(b))
	}
	m.W = make([]float32, n)
	if err := binary.Read(bytes.NewReader(p[20:20+4*n]), binary.LittleEndian, m.W); err != nil {
		return nil, fmt.Errorf("%s: weights: %w", name, err)
	}
	return m, nil
}
