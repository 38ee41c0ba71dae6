package record

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
)

// pngEnd is the IEND chunk every complete PNG ends with.
var pngEnd = []byte{0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82}

// wholePNG reports whether data is a PNG image that was not cut off: its
// signature first, its IEND chunk last.
func wholePNG(data []byte) bool {
	return bytes.HasPrefix(data, []byte(pngSignature)) && bytes.HasSuffix(data, pngEnd)
}

// blackOut paints the regions of a PNG screenshot black; with no region
// it returns data as it is.
func blackOut(data []byte, regions []image.Rectangle) ([]byte, error) {
	if len(regions) == 0 {
		return data, nil
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("read the screenshot: %w", err)
	}
	canvas := image.NewRGBA(img.Bounds())
	draw.Draw(canvas, canvas.Bounds(), img, img.Bounds().Min, draw.Src)
	for _, r := range regions {
		draw.Draw(canvas, r.Intersect(canvas.Bounds()), image.NewUniform(color.Black), image.Point{}, draw.Src)
	}
	var out bytes.Buffer
	if err := png.Encode(&out, canvas); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
