// Package assets provides the files embedded in the binary: the application icon. The demo
// study is generated (reader/demo), not stored.
package assets

import _ "embed"

// Icon is the application icon, a 256×256 PNG.
//
//go:embed icon.png
var Icon []byte
