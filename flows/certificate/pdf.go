package certificate

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/goregular"
)

// pdfExtras is what the PDF prints that is not in the certificate: the
// hash of certificate.json (so the paper names the exact JSON) and the
// signing key's fingerprint.
type pdfExtras struct {
	certSHA256     string
	keyFingerprint string
}

// Page geometry, in millimetres (A4 portrait).
const (
	pageMargin   = 15.0
	pageWidth    = 210.0
	contentWidth = pageWidth - 2*pageMargin
	pageBottom   = 297.0 - 18.0 // room for the footer
	cellMargin   = 1.2
	// maxCellRunes caps one cell's text on paper; certificate.json keeps
	// all of it.
	maxCellRunes = 700
)

// Font families embedded in the PDF: the Go fonts (Latin, Greek,
// Cyrillic). A character they lack prints as "?" (see pdfText).
const (
	sans = "GoSans"
	mono = "GoMono"
)

type fontSpec struct {
	family string
	style  string // "" or "B"
	size   float64
}

var (
	fontBody   = fontSpec{sans, "", 9}
	fontLabel  = fontSpec{sans, "", 7.5}
	fontBold   = fontSpec{sans, "B", 9}
	fontHead   = fontSpec{sans, "B", 8}
	fontMono   = fontSpec{mono, "", 8}
	fontMonoB  = fontSpec{mono, "B", 10.5}
	fontHash   = fontSpec{mono, "", 7.5}
	fontTitle  = fontSpec{sans, "B", 17}
	fontSecton = fontSpec{sans, "B", 11}
)

type rgb struct{ r, g, b int }

var (
	colorText  = rgb{20, 20, 20}
	colorLabel = rgb{95, 95, 95}
	colorRule  = rgb{200, 200, 200}
	colorHead  = rgb{236, 236, 236}
	colorRed   = rgb{180, 20, 30}
)

// verdictLook is how each verdict is printed: the word, what it means
// for the shop, and its colours (a dark ink on a light tint, which reads
// on a black and white printer too).
var verdictLook = map[string]struct {
	word, meaning string
	ink, tint     rgb
}{
	VerdictClear:    {"CLEAR", "No Xiaomi account, Find device off, no Google account, factory reset protection off, not managed: the phone is clear to resell.", rgb{20, 110, 45}, rgb{228, 244, 232}},
	VerdictNotClear: {"NOT CLEAR", "Do not resell this phone yet: something still ties it to someone, or could not be confirmed. See why below.", rgb{175, 20, 30}, rgb{251, 230, 230}},
	VerdictFailed:   {"FAILED", "The run did not finish: the phone's state is NOT certified either way. Fix the cause below and run again.", rgb{140, 90, 0}, rgb{253, 241, 214}},
}

type pdfDoc struct {
	pdf   *fpdf.Fpdf
	faces map[fontSpec]*glyphSet // by family and style (size 0)
	font  fontSpec
}

// renderPDF renders the printable certificate: one self-contained A4
// document with the fonts embedded and all text real text.
func renderPDF(c *Certificate, x pdfExtras) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	// Objects in a fixed order. The bytes still vary from run to run:
	// fpdf subsets fonts through map iteration. The manifest holds the
	// hash of the bytes written, so nothing relies on reproducing them.
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(c.EndedAt)
	pdf.SetModificationDate(c.EndedAt)
	pdf.SetMargins(pageMargin, pageMargin, pageMargin)
	pdf.SetAutoPageBreak(false, 0) // rows break pages themselves
	pdf.SetCellMargin(cellMargin)
	pdf.AliasNbPages("") // before the fonts: fpdf sizes their subsets for it

	d := &pdfDoc{pdf: pdf, faces: map[fontSpec]*glyphSet{}}
	for _, f := range []struct {
		spec fontSpec
		ttf  []byte
	}{
		{fontSpec{sans, "", 0}, goregular.TTF},
		{fontSpec{sans, "B", 0}, gobold.TTF},
		{fontSpec{mono, "", 0}, gomono.TTF},
		{fontSpec{mono, "B", 0}, gomonobold.TTF},
	} {
		face, err := readGlyphSet(f.ttf)
		if err != nil {
			return nil, fmt.Errorf("font %s %s: %w", f.spec.family, f.spec.style, err)
		}
		d.faces[f.spec] = face
		// fpdf writes into the bytes it is given while it subsets them:
		// a copy each, so the shared Go font data stays intact and
		// certificates can be made at the same time.
		pdf.AddUTF8FontFromBytes(f.spec.family, f.spec.style, bytes.Clone(f.ttf))
	}
	title := d.title(c)
	pdf.SetTitle(d.clean(fontSpec{sans, "", 0}, title+" "+c.Phone.Serial), true)
	pdf.SetSubject(d.clean(fontSpec{sans, "", 0}, "Verdict: "+c.Verdict), true)
	pdf.SetCreator(d.clean(fontSpec{sans, "", 0}, strings.TrimSpace(c.Tool.Name+" "+c.Tool.Version)), true)
	pdf.SetAuthor(d.clean(fontSpec{sans, "", 0}, c.Tool.Name), true)
	pdf.SetLang("en")
	pdf.SetFooterFunc(func() { d.footer(c, x) })

	pdf.AddPage()
	d.header(c, title)
	d.verdict(c)
	d.phone(c)
	d.states(c)
	if len(c.Steps) > 0 {
		d.steps(c)
	}
	if len(c.Checks) > 0 {
		d.checks(c)
	}
	d.run(c)
	d.evidence(c)
	d.howToCheck(x)

	if err := pdf.Error(); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func (d *pdfDoc) title(c *Certificate) string {
	if c.Command == CommandAudit {
		return "Phone audit certificate"
	}
	return "Xiaomi account removal certificate"
}

func (d *pdfDoc) setFont(f fontSpec) {
	d.font = f
	d.pdf.SetFont(f.family, f.style, f.size)
}

func (d *pdfDoc) setColor(c rgb) { d.pdf.SetTextColor(c.r, c.g, c.b) }

// clean makes s safe to print in font f: invalid UTF-8, characters the
// font has no glyph for (CJK, emoji, Arabic...) and characters beyond
// U+FFFF become "?", control characters a space. fpdf would otherwise
// print an empty box or, past U+FFFF, fail; certificate.json keeps the
// text exactly.
func (d *pdfDoc) clean(f fontSpec, s string) string {
	face := d.faces[fontSpec{f.family, f.style, 0}]
	var b strings.Builder
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		switch {
		case r == utf8.RuneError && size <= 1:
			r = '?'
		case r == '\t' || r == '\n' || r == '\r' || unicode.IsControl(r):
			r = ' '
		case r > 0xFFFF:
			r = '?'
		default:
			if !face.has(r) {
				r = '?'
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// lines wraps s into lines that fit width w in font f.
func (d *pdfDoc) lines(f fontSpec, s string, w float64) []string {
	s = d.clean(f, s)
	if utf8.RuneCountInString(s) > maxCellRunes {
		s = string([]rune(s)[:maxCellRunes]) + "... (cut here; all of it is in certificate.json)"
	}
	d.setFont(f)
	out := d.pdf.SplitText(s, w)
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}

// lineHeight is the height of one line of text in font f, in mm.
func lineHeight(f fontSpec) float64 { return f.size * 0.3528 * 1.3 }

type cell struct {
	text  string
	w     float64
	font  fontSpec
	color rgb
	align string // "L", "R", "C"
}

type rowStyle struct {
	fill   *rgb
	rule   bool    // a line under the row
	padY   float64 // space above and below the text
	header func()  // redrawn at the top of a new page
}

// row draws one row of cells, each wrapped to its width, starting a new
// page first when it would not fit.
func (d *pdfDoc) row(cells []cell, st rowStyle) {
	wrapped := make([][]string, len(cells))
	h := 0.0
	for i, c := range cells {
		wrapped[i] = d.lines(c.font, c.text, c.w)
		h = max(h, float64(len(wrapped[i]))*lineHeight(c.font))
	}
	h += 2 * st.padY
	if d.pdf.GetY()+h > pageBottom {
		d.pdf.AddPage()
		if st.header != nil {
			st.header()
		}
	}
	y := d.pdf.GetY()
	x := pageMargin
	if st.fill != nil {
		d.pdf.SetFillColor(st.fill.r, st.fill.g, st.fill.b)
		d.pdf.Rect(x, y, sumWidths(cells), h, "F")
	}
	for i, c := range cells {
		d.setFont(c.font)
		d.setColor(c.color)
		lh := lineHeight(c.font)
		align := c.align
		if align == "" {
			align = "L"
		}
		for j, line := range wrapped[i] {
			d.pdf.SetXY(x, y+st.padY+float64(j)*lh)
			d.pdf.CellFormat(c.w, lh, line, "", 0, align+"M", false, 0, "")
		}
		x += c.w
	}
	if st.rule {
		d.pdf.SetDrawColor(colorRule.r, colorRule.g, colorRule.b)
		d.pdf.SetLineWidth(0.2)
		d.pdf.Line(pageMargin, y+h, pageMargin+sumWidths(cells), y+h)
	}
	d.pdf.SetXY(pageMargin, y+h)
}

func sumWidths(cells []cell) float64 {
	w := 0.0
	for _, c := range cells {
		w += c.w
	}
	return w
}

func (d *pdfDoc) space(mm float64) { d.pdf.SetY(d.pdf.GetY() + mm) }

// section starts a titled part, on a new page when less than keep mm
// (the title, a table header and a row or two) would fit.
func (d *pdfDoc) section(title string, keep float64) {
	d.space(4)
	if d.pdf.GetY()+keep > pageBottom {
		d.pdf.AddPage()
	}
	d.row([]cell{{text: title, w: contentWidth, font: fontSecton, color: colorText}}, rowStyle{padY: 0.5})
	d.pdf.SetDrawColor(colorText.r, colorText.g, colorText.b)
	d.pdf.SetLineWidth(0.4)
	y := d.pdf.GetY()
	d.pdf.Line(pageMargin, y, pageMargin+contentWidth, y)
	d.space(1)
}

// pairs draws label/value pairs, two to a row.
func (d *pdfDoc) pairs(kv []pair) {
	const labelW, valueW = 24.0, contentWidth/2 - 24.0
	for i := 0; i < len(kv); i += 2 {
		var cells []cell
		for _, p := range kv[i:min(i+2, len(kv))] {
			vf := fontBody
			if p.font != nil {
				vf = *p.font
			}
			color := colorText
			if p.color != nil {
				color = *p.color
			}
			cells = append(cells,
				cell{text: p.label, w: labelW, font: fontLabel, color: colorLabel},
				cell{text: p.value, w: valueW, font: vf, color: color})
		}
		d.row(cells, rowStyle{padY: 0.8})
	}
}

type pair struct {
	label, value string
	font         *fontSpec
	color        *rgb
}

func (d *pdfDoc) header(c *Certificate, title string) {
	d.row([]cell{
		{text: title, w: contentWidth * 0.7, font: fontTitle, color: colorText},
		{text: strings.TrimSpace(c.Tool.Name + " " + c.Tool.Version), w: contentWidth * 0.3, font: fontLabel, color: colorLabel, align: "R"},
	}, rowStyle{})
	d.row([]cell{{text: fmt.Sprintf("%s, serial %s, %s", phoneName(c.Phone), c.Phone.Serial, humanTime(c.EndedAt)), w: contentWidth, font: fontBody, color: colorLabel}}, rowStyle{padY: 0.5})
	d.space(3)
}

func (d *pdfDoc) verdict(c *Certificate) {
	look, ok := verdictLook[c.Verdict]
	if !ok {
		look = verdictLook[VerdictNotClear]
		look.word = strings.ToUpper(c.Verdict)
	}
	big := fontSpec{sans, "B", 30}
	meaning := fontSpec{sans, "", 10}
	const wordW = 72.0
	meaningLines := d.lines(meaning, look.meaning, contentWidth-wordW-6)
	h := max(22, float64(len(meaningLines))*lineHeight(meaning)+8)
	y := d.pdf.GetY()
	d.pdf.SetFillColor(look.tint.r, look.tint.g, look.tint.b)
	d.pdf.SetDrawColor(look.ink.r, look.ink.g, look.ink.b)
	d.pdf.SetLineWidth(1.2)
	d.pdf.Rect(pageMargin, y, contentWidth, h, "FD")
	d.setFont(big)
	d.setColor(look.ink)
	d.pdf.SetXY(pageMargin+3, y)
	d.pdf.CellFormat(wordW, h, d.clean(big, look.word), "", 0, "LM", false, 0, "")
	d.setFont(meaning)
	d.setColor(colorText)
	lh := lineHeight(meaning)
	top := y + (h-float64(len(meaningLines))*lh)/2
	for i, line := range meaningLines {
		d.pdf.SetXY(pageMargin+wordW+3, top+float64(i)*lh)
		d.pdf.CellFormat(contentWidth-wordW-6, lh, line, "", 0, "LM", false, 0, "")
	}
	d.pdf.SetXY(pageMargin, y+h+1.5)
	for _, r := range c.VerdictReasons {
		d.row([]cell{
			{text: "•", w: 5, font: fontBold, color: look.ink, align: "R"},
			{text: r, w: contentWidth - 5, font: fontBold, color: colorText},
		}, rowStyle{padY: 0.4})
	}
}

func (d *pdfDoc) phone(c *Certificate) {
	d.section("Phone", 30)
	p := c.Phone
	kv := []pair{
		{label: "Phone", value: orDash(p.MarketName)},
		{label: "Brand", value: orDash(p.Brand)},
		{label: "Model", value: orDash(p.Model), font: &fontMono},
		{label: "Serial", value: p.Serial, font: &fontMonoB},
	}
	d.pairs(kv)
	kv = nil
	if len(p.IMEIs) == 0 {
		d.row([]cell{
			{text: "IMEI", w: 24, font: fontLabel, color: colorLabel},
			{text: "not read: " + p.IMEIsMissing, w: contentWidth - 24, font: fontBold, color: colorRed},
		}, rowStyle{padY: 0.8})
	}
	for i, imei := range p.IMEIs {
		kv = append(kv, pair{label: fmt.Sprintf("IMEI %d", i+1), value: imei, font: &fontMonoB})
	}
	if len(p.IMEIs)%2 == 1 {
		kv = append(kv, pair{})
	}
	osText := orDash(p.OS)
	if p.OSBuild != "" {
		osText += " (" + p.OSBuild + ")"
	}
	kv = append(kv, pair{label: "OS", value: osText}, pair{label: "Android", value: orDash(p.Android)})
	d.pairs(kv)
}

func (d *pdfDoc) states(c *Certificate) {
	d.section("Accounts, locks and management", 25)
	type stateRow struct {
		label         string
		before, after string
	}
	b, a := c.Before, c.After // nil prints "-"
	rows := []stateRow{
		{"Xiaomi account", accountText(b), accountText(a)},
		{"Find device", statusText(b, func(s *DeviceState) *Status { return s.FindDevice }), statusText(a, func(s *DeviceState) *Status { return s.FindDevice })},
		{"Google accounts", googleText(b), googleText(a)},
		{"Factory reset protection", statusText(b, func(s *DeviceState) *Status { return s.FRP }), statusText(a, func(s *DeviceState) *Status { return s.FRP })},
		{"Device / profile owner", ownersText(b), ownersText(a)},
		{"Screen lock", statusText(b, func(s *DeviceState) *Status { return s.ScreenLock }), statusText(a, func(s *DeviceState) *Status { return s.ScreenLock })},
		{"Battery", batteryText(b), batteryText(a)},
	}
	afterTitle := "At the end of the run"
	if c.Command == CommandAudit {
		afterTitle = "Found"
	}
	if c.After == nil {
		afterTitle += " (not read)"
	}
	const labelW = 48.0
	var header func()
	if b != nil {
		colW := (contentWidth - labelW) / 2
		header = func() {
			d.row([]cell{
				{text: "", w: labelW, font: fontHead, color: colorText},
				{text: "At the start", w: colW, font: fontHead, color: colorText},
				{text: afterTitle, w: colW, font: fontHead, color: colorText},
			}, rowStyle{fill: &colorHead, padY: 1})
		}
		header()
		for _, r := range rows {
			d.row([]cell{
				{text: r.label, w: labelW, font: fontBold, color: colorText},
				{text: r.before, w: colW, font: fontBody, color: colorLabel},
				{text: r.after, w: colW, font: fontBold, color: colorText},
			}, rowStyle{rule: true, padY: 1, header: header})
		}
		return
	}
	colW := contentWidth - labelW
	header = func() {
		d.row([]cell{
			{text: "", w: labelW, font: fontHead, color: colorText},
			{text: afterTitle, w: colW, font: fontHead, color: colorText},
		}, rowStyle{fill: &colorHead, padY: 1})
	}
	header()
	for _, r := range rows {
		d.row([]cell{
			{text: r.label, w: labelW, font: fontBold, color: colorText},
			{text: r.after, w: colW, font: fontBold, color: colorText},
		}, rowStyle{rule: true, padY: 1, header: header})
	}
}

func (d *pdfDoc) steps(c *Certificate) {
	d.section("Steps", 25)
	widths := []float64{7, 33, 16, 24, 17, contentWidth - 97}
	header := func() {
		cells := headerCells(widths, "#", "Step", "Result", "Started (UTC)", "Took", "What happened")
		cells[0].align, cells[4].align = "R", "R"
		d.row(cells, rowStyle{fill: &colorHead, padY: 1})
	}
	header()
	for i, s := range c.Steps {
		started := ""
		if !s.StartedAt.IsZero() {
			started = s.StartedAt.UTC().Format("15:04:05.000")
		}
		resultFont, resultColor := fontBody, colorText
		if s.Status == StepFailed {
			resultFont, resultColor = fontBold, colorRed
		}
		d.row([]cell{
			{text: fmt.Sprint(i + 1), w: widths[0], font: fontBody, color: colorLabel, align: "R"},
			{text: s.Name, w: widths[1], font: fontBold, color: colorText},
			{text: s.Status, w: widths[2], font: resultFont, color: resultColor},
			{text: started, w: widths[3], font: fontBody, color: colorText},
			{text: formatMS(s.DurationMS), w: widths[4], font: fontBody, color: colorText, align: "R"},
			{text: s.Message, w: widths[5], font: fontBody, color: colorText},
		}, rowStyle{rule: true, padY: 0.8, header: header})
	}
}

func (d *pdfDoc) checks(c *Certificate) {
	d.section("Checks", 25)
	widths := []float64{46, 15, 66, contentWidth - 127}
	header := func() {
		d.row(headerCells(widths, "Check", "Result", "Found", "Fix"), rowStyle{fill: &colorHead, padY: 1})
	}
	header()
	for _, ch := range c.Checks {
		title := ch.Title
		if title == "" {
			title = ch.Name
		}
		resultFont, resultColor := fontBold, colorText
		if ch.Status == CheckFail {
			resultColor = colorRed
		}
		d.row([]cell{
			{text: title, w: widths[0], font: fontBold, color: colorText},
			{text: ch.Status, w: widths[1], font: resultFont, color: resultColor},
			{text: ch.Detail, w: widths[2], font: fontBody, color: colorText},
			{text: ch.Fix, w: widths[3], font: fontBody, color: colorText},
		}, rowStyle{rule: true, padY: 0.8, header: header})
	}
}

func (d *pdfDoc) run(c *Certificate) {
	d.section("Run", 38)
	kv := []pair{
		{label: "Command", value: strings.TrimSpace(c.Tool.Name + " " + c.Command)},
		{label: "Tool version", value: orDash(c.Tool.Version)},
		{label: "Operator", value: orDash(c.Operator)},
		{label: "Ticket", value: orDash(c.Ticket)},
		{label: "Host", value: orDash(c.Host)},
		{label: "Exit code", value: fmt.Sprint(c.ExitCode)},
		{label: "Started", value: humanTime(c.StartedAt)},
		{label: "Ended", value: humanTime(c.EndedAt)},
		{label: "Took", value: formatMS(c.EndedAt.Sub(c.StartedAt).Milliseconds())},
		{},
	}
	d.pairs(kv)
	if c.Error != nil {
		msg := c.Error.Message
		if c.Error.Step != "" {
			msg = "step " + c.Error.Step + ": " + msg
		}
		d.row([]cell{
			{text: "Error", w: 24, font: fontLabel, color: colorLabel},
			{text: msg, w: contentWidth - 24, font: fontBold, color: colorRed},
		}, rowStyle{padY: 0.8})
	}
}

func (d *pdfDoc) evidence(c *Certificate) {
	d.section("Evidence files", 30)
	if len(c.Evidence) == 0 {
		d.row([]cell{{text: "No evidence files.", w: contentWidth, font: fontBody, color: colorLabel}}, rowStyle{padY: 1})
		return
	}
	widths := []float64{62, contentWidth - 62 - 22, 22}
	header := func() {
		cells := headerCells(widths, "File", "What it is", "Size")
		cells[2].align = "R"
		d.row(cells, rowStyle{fill: &colorHead, padY: 1})
	}
	header()
	for _, e := range c.Evidence {
		// A file's two lines stay on one page.
		if d.pdf.GetY()+14 > pageBottom {
			d.pdf.AddPage()
			header()
		}
		d.row([]cell{
			{text: e.Path, w: widths[0], font: fontBold, color: colorText},
			{text: e.Description, w: widths[1], font: fontBody, color: colorText},
			{text: formatSize(e.Size), w: widths[2], font: fontBody, color: colorText, align: "R"},
		}, rowStyle{padY: 0.6, header: header})
		d.row([]cell{
			{text: "SHA-256", w: 14, font: fontLabel, color: colorLabel},
			{text: e.SHA256, w: contentWidth - 14, font: fontHash, color: colorText},
		}, rowStyle{rule: true, padY: 0.4, header: header})
	}
}

func (d *pdfDoc) howToCheck(x pdfExtras) {
	d.section("Checking this certificate", 40)
	signed := "Not signed: the hashes show damage, not who wrote the files."
	if x.keyFingerprint != "" {
		signed = "Signed: signature.json holds an ed25519 signature of manifest.json by the key with this fingerprint (SHA-256 of the public key); compare it with your shop's key:"
	}
	text := "This page was printed from the files in the certificate's folder: certificate.json (the same data as this page), the evidence files above, and manifest.json, which lists every file with its SHA-256. The command miacct verify FOLDER checks them all."
	d.row([]cell{{text: text, w: contentWidth, font: fontBody, color: colorText}}, rowStyle{padY: 0.8})
	d.row([]cell{
		{text: "certificate.json SHA-256", w: 38, font: fontLabel, color: colorLabel},
		{text: x.certSHA256, w: contentWidth - 38, font: fontHash, color: colorText},
	}, rowStyle{padY: 0.8})
	d.row([]cell{{text: signed, w: contentWidth, font: fontBody, color: colorText}}, rowStyle{padY: 0.8})
	if x.keyFingerprint != "" {
		d.row([]cell{
			{text: "Key fingerprint", w: 38, font: fontLabel, color: colorLabel},
			{text: x.keyFingerprint, w: contentWidth - 38, font: fontHash, color: colorText},
		}, rowStyle{padY: 0.8})
	}
}

func (d *pdfDoc) footer(c *Certificate, x pdfExtras) {
	saved := d.font
	d.pdf.SetXY(pageMargin, 297-13)
	d.pdf.SetDrawColor(colorRule.r, colorRule.g, colorRule.b)
	d.pdf.SetLineWidth(0.2)
	d.pdf.Line(pageMargin, 297-13.5, pageMargin+contentWidth, 297-13.5)
	f := fontSpec{sans, "", 7}
	d.setFont(f)
	d.setColor(colorLabel)
	left := fmt.Sprintf("%s %s · %s · certificate.json %s", c.Tool.Name, c.Command, c.Phone.Serial, shortHash(x.certSHA256))
	d.pdf.CellFormat(contentWidth-30, 5, d.clean(f, left), "", 0, "LM", false, 0, "")
	d.pdf.CellFormat(30, 5, fmt.Sprintf("Page %d of {nb}", d.pdf.PageNo()), "", 0, "RM", false, 0, "")
	if saved.family != "" {
		d.setFont(saved)
	}
}

func headerCells(widths []float64, titles ...string) []cell {
	cells := make([]cell, len(titles))
	for i, t := range titles {
		cells[i] = cell{text: t, w: widths[i], font: fontHead, color: colorText}
	}
	return cells
}

func accountText(s *DeviceState) string {
	if s == nil {
		return "-"
	}
	a := s.XiaomiAccount
	switch {
	case a == nil:
		return "not checked"
	case a.State == StateSignedIn:
		return withParen("signed in "+a.ID, a.Detail)
	case a.State == StateNone:
		return withParen("none", a.Detail)
	default:
		return withDetail(a.State, a.Detail)
	}
}

func statusText(s *DeviceState, get func(*DeviceState) *Status) string {
	if s == nil {
		return "-"
	}
	st := get(s)
	if st == nil {
		return "not checked"
	}
	if st.State == StateUnknown {
		return withDetail(st.State, st.Detail)
	}
	return withParen(st.State, st.Detail)
}

func googleText(s *DeviceState) string {
	if s == nil {
		return "-"
	}
	g := s.GoogleAccounts
	switch {
	case g == nil:
		return "not checked"
	case g.State == StatePresent:
		return withParen(strings.TrimSpace("present "+strings.Join(g.Accounts, ", ")), g.Detail)
	case g.State == StateUnknown:
		return withDetail(g.State, g.Detail)
	default:
		return withParen(g.State, g.Detail)
	}
}

func ownersText(s *DeviceState) string {
	if s == nil {
		return "-"
	}
	o := s.Owners
	switch {
	case o == nil:
		return "not checked"
	case o.State == StatePresent:
		var parts []string
		if o.DeviceOwner != "" {
			parts = append(parts, "device owner "+o.DeviceOwner)
		}
		for _, p := range o.ProfileOwners {
			parts = append(parts, "profile owner "+p)
		}
		if len(parts) == 0 {
			parts = append(parts, "present")
		}
		return withParen(strings.Join(parts, "; "), o.Detail)
	case o.State == StateUnknown:
		return withDetail(o.State, o.Detail)
	default:
		return withParen(o.State, o.Detail)
	}
}

func batteryText(s *DeviceState) string {
	if s == nil {
		return "-"
	}
	if s.Battery == nil {
		return "not read"
	}
	return strings.TrimSpace(fmt.Sprintf("%d%% %s", s.Battery.Level, s.Battery.Status))
}

func withParen(what, detail string) string {
	if detail = strings.TrimSpace(detail); detail != "" {
		return what + " (" + detail + ")"
	}
	return what
}

// humanTime is a time as people read it on paper, in UTC.
func humanTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// phoneName is "Redmi Note 12", with the brand in front when the market
// name lacks it.
func phoneName(p Phone) string {
	name := strings.TrimSpace(p.MarketName)
	if name == "" {
		name = strings.TrimSpace(p.Model)
	}
	if p.Brand != "" && !strings.HasPrefix(strings.ToLower(name), strings.ToLower(p.Brand)) {
		name = strings.TrimSpace(p.Brand + " " + name)
	}
	return orDash(name)
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

func formatMS(ms int64) string {
	switch {
	case ms < 1000:
		return fmt.Sprintf("%d ms", ms)
	case ms < 60_000:
		return fmt.Sprintf("%.1f s", float64(ms)/1000)
	default:
		return (time.Duration(ms) * time.Millisecond).Round(time.Second).String()
	}
}

func formatSize(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.1f KB", float64(n)/1024)
	default:
		return fmt.Sprintf("%.1f MB", float64(n)/(1024*1024))
	}
}

func shortHash(h string) string {
	if len(h) > 16 {
		return h[:16] + "..."
	}
	return h
}
