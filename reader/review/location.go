package review

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"

	"sightline/reader/study"
)

// ErrReadOnly is returned (wrapped) by every write on a store opened read-only.
var ErrReadOnly = errors.New("the review store is open read-only")

// ErrNoStore is returned (wrapped) when a location names no store and none may be made there.
var ErrNoStore = errors.New("not a review store")

// dsnStart recognises a keyword/value connection string: it starts with a libpq keyword and
// an equals sign (host=… dbname=…).
var dsnStart = regexp.MustCompile(`^\s*(host|hostaddr|port|dbname|user|password|sslmode|service|application_name|connect_timeout|options|target_session_attrs)\s*=`)

// IsURL reports whether a store location is a PostgreSQL URL rather than a file or folder.
func IsURL(location string) bool {
	return strings.HasPrefix(location, "postgres://") || strings.HasPrefix(location, "postgresql://")
}

// IsDSN reports whether a store location is a PostgreSQL keyword/value connection string.
func IsDSN(location string) bool { return dsnStart.MatchString(location) }

// IsPostgres reports whether a location names a PostgreSQL store (a URL or a DSN).
func IsPostgres(location string) bool { return IsURL(location) || IsDSN(location) }

// sqlitePath is the SQLite file a location names, and whether it may be created: an existing
// file; a folder's review.db when it exists or when the folder is a study (it has a
// master_sheet.csv or a sessions folder). Anything else is refused in one sentence, and nothing is made.
func sqlitePath(location string, readOnly bool) (path string, create bool, err error) {
	st, err := os.Stat(location)
	switch {
	case err != nil && errors.Is(err, os.ErrNotExist):
		return "", false, fmt.Errorf("%w: %s does not exist; --store takes an existing store file, a postgres:// URL or a keyword/value DSN (host=… dbname=…)", ErrNoStore, location)
	case err != nil:
		return "", false, fmt.Errorf("review store %s: %w", location, err)
	case !st.IsDir():
		return location, false, nil
	}
	path = filepath.Join(location, FileName)
	if _, err := os.Stat(path); err == nil {
		return path, false, nil
	}
	if !isStudy(location) {
		return "", false, fmt.Errorf("%w: %s is not a study folder (no %s, no sessions folder), so no %s is made there", ErrNoStore, location, study.MasterSheet, FileName)
	}
	if readOnly {
		return "", false, fmt.Errorf("%w: the study %s has no %s yet", ErrNoStore, location, FileName)
	}
	return path, true, nil
}

// isStudy reports whether dir is a study folder (study.Check: a worklist, or recorded sessions).
func isStudy(dir string) bool { return study.Check(dir) == nil }

// notWritable says why this process cannot write the SQLite store at path ("" when it can):
// SQLite in WAL mode writes the file and, beside it, the -wal and -shm files.
func notWritable(path string) string {
	const wOK = 2
	if syscall.Access(path, wOK) != nil {
		return path + " is not writable"
	}
	if syscall.Access(filepath.Dir(path), wOK) != nil {
		return "the folder " + filepath.Dir(path) + " is not writable"
	}
	return ""
}

var (
	dsnPassword = regexp.MustCompile(`(?i)((?:^|\s)password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s]*)`)
	urlPassword = regexp.MustCompile(`(?i)([?&]password=)[^&\s]*`)
	urlUserinfo = regexp.MustCompile(`(postgres(?:ql)?://[^:/@\s]*):[^@\s]*@`)
)

// Redact removes every password from a text: in a URL's userinfo and its password parameter,
// in a keyword/value string's password=, and the value of PGPASSWORD wherever it appears.
func Redact(s string) string {
	s = urlUserinfo.ReplaceAllString(s, "${1}:xxxxx@")
	s = urlPassword.ReplaceAllString(s, "${1}xxxxx")
	s = dsnPassword.ReplaceAllString(s, "${1}xxxxx")
	// A password under 4 characters is not searched for: every message would lose letters.
	if pw := os.Getenv("PGPASSWORD"); len(pw) >= 4 {
		s = strings.ReplaceAll(s, pw, "xxxxx")
	}
	return s
}

// redact names a location without its password, for messages and Location.
func redact(loc string) string {
	if IsURL(loc) {
		if u, err := url.Parse(loc); err == nil {
			if _, has := u.User.Password(); has {
				u.User = url.UserPassword(u.User.Username(), "xxxxx")
			}
			if q := u.Query(); q.Has("password") {
				q.Set("password", "xxxxx")
				u.RawQuery = q.Encode()
			}
			return Redact(u.String())
		}
	}
	return Redact(loc)
}

// redactedErr is an error whose text has no password; errors.Is and As still see the cause.
type redactedErr struct{ err error }

func (e redactedErr) Error() string { return Redact(e.err.Error()) }
func (e redactedErr) Unwrap() error { return e.err }

func redactErr(err error) error {
	if err == nil {
		return nil
	}
	return redactedErr{err}
}

// CanMake reports whether this process may make a review store in the folder dir: a reviewer
// without write rights views a study nobody has reviewed without one.
func CanMake(dir string) bool { return folderWritable(dir) }
