package prepare

import (
	"encoding/binary"
	"hash/crc32"
	"image"
	"io"
	"slices"
)

// encodeGray writes g as an 8-bit greyscale PNG. Why not image/png: for every row it tries all
// five PNG filters to pick one, and that choice alone took 40% of a prepare run. Here every row
// gets the Up filter (the difference from the row above), which suits radiographs (smooth
// vertically, black pads) and costs one subtraction a pixel (eight at a time), and the deflate
// stream is written here, as zlib's Z_RLE strategy writes it (OpenCV's default for PNG): Huffman
// codes of each band of rows' own, and runs of zeros — the black pads, half of a portrait stage,
// and rows equal to the one above — coded as matches at distance 1, so that a pad costs a few bits
// a run and almost no work a pixel. Measured on the demo phantoms' stages (BenchmarkEncodeGray,
// GOMAXPROCS=1): 7 ms of CPU and 381 KB a stage, where compress/zlib's Huffman-only coding of the
// same rows took 13 ms and 532 KB (a fifth of prepare's CPU time); uncompressed, a stage is 2 MB.
func encodeGray(w io.Writer, g *image.Gray) error {
	_, err := w.Write(appendGray(nil, g))
	return err
}

// appendGray appends the PNG file of g to dst (prepare's workers reuse one buffer a goroutine).
func appendGray(dst []byte, g *image.Gray) []byte {
	width, height := g.Rect.Dx(), g.Rect.Dy()
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(height))
	ihdr[8] = 8 // bits per sample; colour type 0 (grey), compression, filter, interlace 0
	dst = append(dst, "\x89PNG\r\n\x1a\n"...)
	dst = appendChunk(dst, "IHDR", ihdr[:])
	// IDAT: the stream is written in place, its length filled in after.
	at := len(dst)
	dst = deflateUp(append(dst, "\x00\x00\x00\x00IDAT"...), g)
	binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at-8))
	dst = binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[at+4:]))
	return appendChunk(dst, "IEND", nil)
}

// appendChunk appends a PNG chunk: length, kind, data, CRC of kind and data.
func appendChunk(dst []byte, kind string, data []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(data)))
	at := len(dst)
	dst = append(append(dst, kind...), data...)
	return binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[at:]))
}

// bandRows rows of the image make one deflate block, with Huffman codes of their own: a block
// header costs about 80 bytes, and the statistics of a radiograph change down the image.
const bandRows = 64

// deflateUp appends to dst the zlib stream (RFC 1950, 1951) of g's rows, each a filter-type byte
// (2, Up) and the row's differences from the row above (zeros above the first). Each band of rows
// is filtered into a buffer, its symbols counted, then written with the codes made from the counts.
func deflateUp(dst []byte, g *image.Gray) []byte {
	width, height := g.Rect.Dx(), g.Rect.Dy()
	stride := 1 + width
	e := deflater{out: slices.Grow(dst, width*height/3+64)}
	e.out = append(e.out, 0x78, 0x01) // deflate, 32 KiB window, no dictionary, check bits
	e.adler = adler{a: 1}
	band := make([]byte, bandRows*stride)
	prev := make([]byte, width)
	for y0 := 0; y0 < height || y0 == 0; y0 += bandRows {
		rows := band[:min(bandRows, height-y0)*stride]
		var hist [numLitLen]uint32
		for y := 0; y*stride < len(rows); y++ {
			row := rows[y*stride : (y+1)*stride]
			cur := g.Pix[g.PixOffset(g.Rect.Min.X, g.Rect.Min.Y+y0+y):][:width]
			row[0] = 2 // Up
			subBytes(row[1:], cur, prev)
			prev = cur
			count(row, &hist)
		}
		e.adler.write(rows)
		e.block(rows, stride, &hist, y0+bandRows >= height)
	}
	return binary.BigEndian.AppendUint32(e.out, e.adler.sum())
}

// subBytes sets out[i] = a[i] − b[i] (mod 256), eight bytes a step: the high bit of each byte is
// set in a and cleared in b so that no borrow crosses into the next byte, then put right.
func subBytes(out, a, b []byte) {
	const hi = 0x8080808080808080
	i := 0
	for ; i+8 <= len(out); i += 8 {
		x, y := binary.LittleEndian.Uint64(a[i:]), binary.LittleEndian.Uint64(b[i:])
		binary.LittleEndian.PutUint64(out[i:], ((x|hi)-(y&^hi))^((x^^y)&hi))
	}
	for ; i < len(out); i++ {
		out[i] = a[i] - b[i]
	}
}

// A row is read eight bytes a word. Two or more words of zeros in a row are a run: a literal
// zero, then matches at distance 1 of the zeros before (at most maxMatch each, at least 3). Every
// other byte is a literal. count and emit walk a row alike.
const (
	maxMatch  = 258
	numLitLen = 286
	endBlock  = 256
)

// runEnd is where the run of zero words starting at i ends, or i when there is none there.
func runEnd(p []byte, i int) int {
	if i+16 > len(p) || binary.LittleEndian.Uint64(p[i:])|binary.LittleEndian.Uint64(p[i+8:]) != 0 {
		return i
	}
	j := i + 16
	for j+8 <= len(p) && binary.LittleEndian.Uint64(p[j:]) == 0 {
		j += 8
	}
	return j
}

// matches calls f with the length of each match that codes n zeros after a literal one.
func matches(n int, f func(l int)) {
	for n > 0 {
		l := min(n, maxMatch)
		if n-l > 0 && n-l < 3 { // leave at least a match's 3 for the rest
			l = n - 3
		}
		f(l)
		n -= l
	}
}

// count adds the symbols of row p to hist.
func count(p []byte, hist *[numLitLen]uint32) {
	i := 0
	for i+8 <= len(p) {
		if j := runEnd(p, i); j > i {
			hist[0]++
			matches(j-i-1, func(l int) { hist[lengthSym[l-3]]++ })
			i = j
			continue
		}
		q := p[i : i+8 : i+8]
		hist[q[0]]++
		hist[q[1]]++
		hist[q[2]]++
		hist[q[3]]++
		hist[q[4]]++
		hist[q[5]]++
		hist[q[6]]++
		hist[q[7]]++
		i += 8
	}
	for _, v := range p[i:] {
		hist[v]++
	}
}

// lengthSym, lengthExtra and lengthBase code a match length 3..258 (RFC 1951 3.2.5): symbol,
// extra bits and the length the symbol stands for.
var (
	lengthSym   [256]uint16
	lengthExtra [29]uint8
	lengthBase  [29]uint16
)

func init() {
	l := 3
	for s := range 28 {
		extra := 0
		if s >= 8 {
			extra = s/4 - 1
		}
		lengthExtra[s], lengthBase[s] = uint8(extra), uint16(l)
		for range 1 << extra {
			lengthSym[l-3] = uint16(257 + s)
			l++
		}
	}
	lengthBase[28], lengthSym[255] = 258, 285 // 258 has a symbol of its own
}

// deflater writes deflate blocks, least significant bit first.
type deflater struct {
	out   []byte
	bits  uint64
	nbits uint
	adler adler
}

func (e *deflater) put(code uint64, n uint) {
	e.bits |= code << e.nbits
	e.nbits += n
	if e.nbits >= 32 {
		e.out = binary.LittleEndian.AppendUint32(e.out, uint32(e.bits))
		e.bits >>= 32
		e.nbits -= 32
	}
}

// flush writes the last bits, padded to a byte.
func (e *deflater) flush() {
	for ; e.nbits > 0; e.nbits -= min(e.nbits, 8) {
		e.out = append(e.out, byte(e.bits))
		e.bits >>= 8
	}
}

// clOrder is the order the code length code's lengths are sent in.
var clOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// block writes rows (each stride bytes) as one block with dynamic Huffman codes; hist counts
// their symbols. The only distance is 1 (distance code 0).
func (e *deflater) block(rows []byte, stride int, hist *[numLitLen]uint32, final bool) {
	hist[endBlock] = 1
	var litLen [numLitLen]uint8
	huffmanLengths(hist[:], 15, litLen[:])
	litCode := canonical(litLen[:])
	hlit := numLitLen
	for hlit > 257 && litLen[hlit-1] == 0 {
		hlit--
	}
	// The code lengths of both alphabets, one sequence: one distance code, 1 bit (RFC 1951 3.2.7).
	items := lengthItems(append(litLen[:hlit:hlit], 1))
	var clHist [19]uint32
	for _, it := range items {
		clHist[it.sym]++
	}
	var clLen [19]uint8
	huffmanLengths(clHist[:], 7, clLen[:])
	clCode := canonical(clLen[:])
	hclen := 19
	for hclen > 4 && clLen[clOrder[hclen-1]] == 0 {
		hclen--
	}

	fin := uint64(0)
	if final {
		fin = 1
	}
	e.put(fin|2<<1, 3) // BFINAL, BTYPE 10: dynamic codes
	e.put(uint64(hlit-257), 5)
	e.put(0, 5) // HDIST − 1
	e.put(uint64(hclen-4), 4)
	for _, s := range clOrder[:hclen] {
		e.put(uint64(clLen[s]), 3)
	}
	for _, it := range items {
		e.put(uint64(clCode[it.sym]), uint(clLen[it.sym]))
		if it.nextra > 0 {
			e.put(uint64(it.extra), uint(it.nextra))
		}
	}

	var codes [numLitLen]uint32 // code | length<<16
	for i, c := range litCode {
		codes[i] = uint32(c) | uint32(litLen[i])<<16
	}
	for r := 0; r < len(rows); r += stride {
		e.emit(rows[r:r+stride], &codes)
	}
	e.put(uint64(litCode[endBlock]), uint(litLen[endBlock]))
	if final {
		e.flush()
	}
}

// emit writes row p with codes (code | length<<16; the match symbols' are followed by their extra
// bits and the 1-bit distance code 0).
func (e *deflater) emit(p []byte, codes *[numLitLen]uint32) {
	// Room for the worst case, 15 bits a byte, so that the words below go in without checks.
	if need := len(e.out) + 2*len(p) + 16; need > cap(e.out) {
		e.out = append(e.out[:cap(e.out)], make([]byte, need-cap(e.out)+cap(e.out)/2)...)[:len(e.out)]
	}
	buf, pos := e.out[:cap(e.out)], len(e.out)
	bits, nbits := e.bits, e.nbits
	lit := func(v byte) {
		c := codes[v]
		bits |= uint64(c&0xffff) << nbits
		nbits += uint(c >> 16)
		if nbits >= 32 {
			binary.LittleEndian.PutUint32(buf[pos:], uint32(bits))
			pos += 4
			bits >>= 32
			nbits -= 32
		}
	}
	i := 0
	for i+8 <= len(p) {
		if j := runEnd(p, i); j > i {
			lit(0)
			matches(j-i-1, func(l int) {
				s := lengthSym[l-3]
				k := s - 257
				c := codes[s]
				n := uint(c>>16) + uint(lengthExtra[k]) + 1 // the distance code's bit is a 0
				bits |= (uint64(c&0xffff) | uint64(l-int(lengthBase[k]))<<(c>>16)) << nbits
				nbits += n
				if nbits >= 32 {
					binary.LittleEndian.PutUint32(buf[pos:], uint32(bits))
					pos += 4
					bits >>= 32
					nbits -= 32
				}
			})
			i = j
			continue
		}
		// Eight literals, two codes (at most 30 bits) between checks: fewer bits than 32 are
		// held before each pair. The shifts are masked so that the compiler drops its
		// shift-by-64 case.
		q := p[i : i+8 : i+8]
		for k := 0; k < 8; k += 2 {
			c0, c1 := codes[q[k]], codes[q[k+1]]
			bits |= uint64(c0&0xffff) << (nbits & 63)
			nbits += uint(c0 >> 16)
			bits |= uint64(c1&0xffff) << (nbits & 63)
			nbits += uint(c1 >> 16)
			if nbits >= 32 {
				binary.LittleEndian.PutUint32(buf[pos:], uint32(bits))
				pos += 4
				bits >>= 32
				nbits -= 32
			}
		}
		i += 8
	}
	for _, v := range p[i:] {
		lit(v)
	}
	e.out, e.bits, e.nbits = buf[:pos], bits, nbits
}

// clItem is a symbol of the code length code, with its extra bits.
type clItem struct{ sym, extra, nextra uint8 }

// lengthItems run-length codes a sequence of code lengths: 16 repeats the last length 3 to 6
// times, 17 and 18 are 3 to 10 and 11 to 138 zeros.
func lengthItems(lens []uint8) []clItem {
	var items []clItem
	for i := 0; i < len(lens); {
		v, n := lens[i], 1
		for i+n < len(lens) && lens[i+n] == v {
			n++
		}
		i += n
		switch {
		case v == 0:
			for n >= 11 {
				k := min(n, 138)
				items = append(items, clItem{18, uint8(k - 11), 7})
				n -= k
			}
			if n >= 3 {
				items = append(items, clItem{17, uint8(n - 3), 3})
				n = 0
			}
		case n >= 4:
			items = append(items, clItem{v, 0, 0})
			n--
			for n >= 3 {
				k := min(n, 6)
				items = append(items, clItem{16, uint8(k - 3), 2})
				n -= k
			}
		}
		for ; n > 0; n-- {
			items = append(items, clItem{v, 0, 0})
		}
	}
	return items
}

// huffmanLengths sets the code length of every symbol with a non-zero count in freq, at most
// limit bits; the code is complete (a symbol alone gets a partner of length 1). Counts are
// halved until the optimal code fits the limit.
func huffmanLengths(freq []uint32, limit uint8, lengths []uint8) {
	f := slices.Clone(freq)
	var syms []int
	for s, c := range f {
		if c > 0 {
			syms = append(syms, s)
		}
	}
	if len(syms) == 1 { // a complete code needs two symbols
		other := 0
		if syms[0] == 0 {
			other = 1
		}
		f[other] = 1
		syms = append(syms, other)
	}
	for {
		if huffman(f, syms, lengths) <= limit {
			return
		}
		for _, s := range syms {
			f[s] = (f[s] + 1) / 2
		}
	}
}

// huffman sets the optimal code lengths of syms (counts in f) and returns the longest: the two
// queue construction over the symbols sorted by count.
func huffman(f []uint32, syms []int, lengths []uint8) uint8 {
	for i := range lengths {
		lengths[i] = 0
	}
	leaves := slices.Clone(syms)
	slices.SortStableFunc(leaves, func(a, b int) int { return int(f[a]) - int(f[b]) })
	n := len(leaves)
	// Nodes 0..n−1 are the leaves in order, n.. the internal ones as made (counts non-decreasing).
	count := make([]uint64, 0, 2*n)
	for _, s := range leaves {
		count = append(count, uint64(f[s]))
	}
	parent := make([]int, 2*n-1)
	li, ni := 0, n // next leaf, next internal node not yet joined
	pick := func() int {
		if li < n && (ni >= len(count) || count[li] <= count[ni]) {
			li++
			return li - 1
		}
		ni++
		return ni - 1
	}
	for len(count) < 2*n-1 {
		a, b := pick(), pick()
		parent[a], parent[b] = len(count), len(count)
		count = append(count, count[a]+count[b])
	}
	depth := make([]uint8, 2*n-1)
	var longest uint8
	for k := 2*n - 3; k >= 0; k-- { // parents come after their children
		depth[k] = depth[parent[k]] + 1
		if k < n {
			lengths[leaves[k]] = depth[k]
			longest = max(longest, depth[k])
		}
	}
	return longest
}

// canonical is the code of each symbol from the lengths (RFC 1951 3.2.2), its bits reversed to
// be written least significant first.
func canonical(lengths []uint8) []uint16 {
	var blCount [16]uint16
	for _, l := range lengths {
		blCount[l]++
	}
	blCount[0] = 0
	var next [16]uint16
	code := uint16(0)
	for b := 1; b < 16; b++ {
		code = (code + blCount[b-1]) << 1
		next[b] = code
	}
	codes := make([]uint16, len(lengths))
	for s, l := range lengths {
		if l == 0 {
			continue
		}
		c := next[l]
		next[l]++
		var r uint16
		for range l {
			r = r<<1 | c&1
			c >>= 1
		}
		codes[s] = r
	}
	return codes
}

// adler is the Adler-32 checksum of zlib's trailer; words of zeros (the pads) cost one
// multiplication.
type adler struct{ a, b uint32 }

func (s *adler) write(p []byte) {
	const mod, nmax = 65521, 5552 // nmax: the most bytes before b can overflow
	a, b := s.a, s.b
	for len(p) > 0 {
		q := p[:min(len(p), nmax)]
		p = p[len(q):]
		for len(q) >= 8 {
			if binary.LittleEndian.Uint64(q) == 0 {
				b += 8 * a
			} else {
				for _, v := range q[:8] {
					a += uint32(v)
					b += a
				}
			}
			q = q[8:]
		}
		for _, v := range q {
			a += uint32(v)
			b += a
		}
		a %= mod
		b %= mod
	}
	s.a, s.b = a, b
}

func (s *adler) sum() uint32 { return s.b<<16 | s.a }
