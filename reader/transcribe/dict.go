package transcribe

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// Phones is the acoustic model's phone set (pocketsphinx-en-us, cmudict without stress).
var Phones = []string{"AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY",
	"F", "G", "HH", "IH", "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH",
	"T", "TH", "UH", "UW", "V", "W", "Y", "Z", "ZH"}

// Dict is a pronunciation dictionary: word → its pronunciations, each a list of phones.
type Dict map[string][][]string

// ReadDict reads a dictionary in the cmudict/pocketsphinx form: "word PH PH …" a line, a
// variant spelt "word(2) …". Errors name the line; a phone outside Phones is an error.
func ReadDict(r io.Reader, name string) (Dict, error) {
	d := Dict{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], ";;;") {
			continue
		}
		if len(f) < 2 {
			return nil, fmt.Errorf("%s:%d: %q has no phones", name, n, f[0])
		}
		w := f[0]
		if i := strings.IndexByte(w, '('); i > 0 && strings.HasSuffix(w, ")") {
			w = w[:i]
		}
		for _, p := range f[1:] {
			if !slices.Contains(Phones, p) {
				return nil, fmt.Errorf("%s:%d: %q: %q is not a phone of the acoustic model", name, n, f[0], p)
			}
		}
		d[w] = append(d[w], f[1:])
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}

// Marshal writes d for pocketsphinx, sorted by word, variants numbered from (2).
func (d Dict) Marshal() []byte {
	words := make([]string, 0, len(d))
	for w := range d {
		words = append(words, w)
	}
	slices.Sort(words)
	var b bytes.Buffer
	for _, w := range words {
		for i, p := range d[w] {
			name := w
			if i > 0 {
				name = fmt.Sprintf("%s(%d)", w, i+1)
			}
			fmt.Fprintf(&b, "%s %s\n", name, strings.Join(p, " "))
		}
	}
	return b.Bytes()
}

// Restrict is the dictionary of the words in vocab, taken from the first of sources that has
// each (the project's hand-written pronunciations first, then cmudict). Missing lists the
// words no source has, sorted.
func Restrict(vocab []string, sources ...Dict) (d Dict, missing []string) {
	d = Dict{}
	for _, w := range vocab {
		found := false
		for _, s := range sources {
			if p, ok := s[w]; ok {
				d[w] = p
				found = true
				break
			}
		}
		if !found && !slices.Contains(missing, w) {
			missing = append(missing, w)
		}
	}
	slices.Sort(missing)
	return d, missing
}

// ipaToCMU maps espeak-ng's IPA (American English voice) to the acoustic model's phones,
// longest match first. Stress and length marks, syllable breaks and ties are dropped first.
var ipaToCMU = []struct{ ipa, cmu string }{
	{"aɪə", "AY ER"}, {"aʊə", "AW ER"},
	{"tʃ", "CH"}, {"dʒ", "JH"}, {"eɪ", "EY"}, {"aɪ", "AY"}, {"aʊ", "AW"}, {"ɔɪ", "OY"},
	{"oʊ", "OW"}, {"əʊ", "OW"}, {"ɪə", "IH R"}, {"ɛə", "EH R"}, {"ʊə", "UH R"}, {"ɑɹ", "AA R"},
	{"ɔɹ", "AO R"}, {"oɹ", "AO R"}, {"ɛɹ", "EH R"}, {"ɪɹ", "IH R"}, {"ʊɹ", "UH R"}, {"ɜɹ", "ER"},
	{"əɹ", "ER"}, {"ɚ", "ER"}, {"ɝ", "ER"}, {"ɜ", "ER"}, {"ᵻ", "IH"}, {"ɐ", "AH"},
	{"æ", "AE"}, {"ɑ", "AA"}, {"ɒ", "AA"}, {"ɔ", "AO"}, {"o", "OW"}, {"ə", "AH"}, {"ʌ", "AH"},
	{"ɛ", "EH"}, {"e", "EH"}, {"ɪ", "IH"}, {"i", "IY"}, {"ʊ", "UH"}, {"u", "UW"}, {"a", "AA"},
	{"b", "B"}, {"d", "D"}, {"ð", "DH"}, {"f", "F"}, {"ɡ", "G"}, {"g", "G"}, {"h", "HH"},
	{"j", "Y"}, {"k", "K"}, {"l", "L"}, {"ɫ", "L"}, {"m", "M"}, {"n", "N"}, {"ŋ", "NG"},
	{"p", "P"}, {"ɹ", "R"}, {"r", "R"}, {"ɾ", "T"}, {"s", "S"}, {"ʃ", "SH"}, {"t", "T"},
	{"θ", "TH"}, {"v", "V"}, {"w", "W"}, {"z", "Z"}, {"ʒ", "ZH"}, {"ʔ", "T"}, {"x", "K"},
}

// IPAToPhones converts espeak-ng's IPA for a word to the model's phones; an unknown symbol is
// an error naming it.
func IPAToPhones(ipa string) ([]string, error) {
	s := strings.NewReplacer("ˈ", "", "ˌ", "", "ː", "", "ˑ", "", ".", "", "‿", "", "͡", "", " ", "", "-", "", "_", "", "\n", "").Replace(ipa)
	var out []string
	for s != "" {
		matched := false
		for _, m := range ipaToCMU {
			if strings.HasPrefix(s, m.ipa) {
				out = append(out, strings.Fields(m.cmu)...)
				s = s[len(m.ipa):]
				matched = true
				break
			}
		}
		if !matched {
			r := []rune(s)[0]
			return nil, fmt.Errorf("IPA %q: no phone for %q", ipa, string(r))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("IPA %q: no phones", ipa)
	}
	return out, nil
}

// ErrNoEspeak is returned by Suggest when espeak-ng is not installed.
var ErrNoEspeak = errors.New("espeak-ng is not installed (apt-get install espeak-ng) to suggest a pronunciation")

// Suggest offers a pronunciation of word from espeak-ng's phonemes (American English voice),
// in the model's phones: for a word the dictionary lacks, to be checked by a person before it
// goes in model/extra.dict.
func Suggest(ctx context.Context, word string) ([]string, error) {
	bin, err := exec.LookPath("espeak-ng")
	if err != nil {
		return nil, ErrNoEspeak
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-q", "--ipa", "-v", "en-us", word).Output()
	if err != nil {
		return nil, fmt.Errorf("espeak-ng --ipa %q: %w", word, err)
	}
	return IPAToPhones(strings.TrimSpace(string(out)))
}
