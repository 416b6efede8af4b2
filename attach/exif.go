package attach

import (
	"bytes"
	"encoding/binary"
)

// orientation returns the EXIF orientation (1 to 8) of a JPEG, PNG or WebP
// file: how the stored pixels are turned to be shown. 1 (as stored) when
// the file has none or its EXIF cannot be read. A small parser of its own
// rather than a full EXIF library: only this one tag is needed, and every
// offset in it is checked, so a hostile file cannot make it read out of
// bounds or loop.
func orientation(data []byte) int {
	var tiff []byte
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8}):
		tiff = jpegExif(data)
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		tiff = pngExif(data)
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		tiff = webpExif(data)
	}
	return tiffOrientation(tiff)
}

const exifHeader = "Exif\x00\x00"

// jpegExif returns the TIFF data of a JPEG's EXIF segment (APP1), looking
// at the segments before the image data only.
func jpegExif(data []byte) []byte {
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			return nil
		}
		marker := data[i+1]
		switch {
		case marker == 0xFF: // fill byte
			i++
			continue
		case marker == 0xD9 || marker == 0xDA: // end of image, start of scan
			return nil
		case marker >= 0xD0 && marker <= 0xD7 || marker == 0x01: // no length
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return nil
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xE1 && bytes.HasPrefix(seg, []byte(exifHeader)) {
			return seg[len(exifHeader):]
		}
		i += 2 + n
	}
	return nil
}

// pngExif returns the data of a PNG's eXIf chunk.
func pngExif(data []byte) []byte {
	for i := 8; i+8 <= len(data); {
		n := int64(binary.BigEndian.Uint32(data[i:]))
		typ := string(data[i+4 : i+8])
		end := int64(i) + 8 + n
		if end > int64(len(data)) {
			return nil
		}
		if typ == "eXIf" {
			return data[i+8 : end]
		}
		if typ == "IEND" {
			return nil
		}
		i = int(end) + 4 // the CRC
	}
	return nil
}

// webpExif returns the data of a WebP's EXIF chunk (some writers keep the
// JPEG segment's "Exif\0\0" header in it).
func webpExif(data []byte) []byte {
	for i := 12; i+8 <= len(data); {
		n := int64(binary.LittleEndian.Uint32(data[i+4:]))
		end := int64(i) + 8 + n
		if end > int64(len(data)) {
			return nil
		}
		if string(data[i:i+4]) == "EXIF" {
			return bytes.TrimPrefix(data[i+8:end], []byte(exifHeader))
		}
		i = int(end + n%2) // chunks are padded to an even size
	}
	return nil
}

// tiffOrientation reads tag 0x0112 of the first IFD of EXIF's TIFF data.
func tiffOrientation(tiff []byte) int {
	if len(tiff) < 8 {
		return 1
	}
	var order binary.ByteOrder
	switch string(tiff[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return 1
	}
	if order.Uint16(tiff[2:]) != 42 {
		return 1
	}
	ifd := int64(order.Uint32(tiff[4:]))
	if ifd+2 > int64(len(tiff)) {
		return 1
	}
	count := int64(order.Uint16(tiff[ifd:]))
	for e := ifd + 2; e+12 <= int64(len(tiff)) && e < ifd+2+12*count; e += 12 {
		if order.Uint16(tiff[e:]) != 0x0112 {
			continue
		}
		if order.Uint16(tiff[e+2:]) != 3 { // SHORT
			return 1
		}
		if o := int(order.Uint16(tiff[e+8:])); o >= 1 && o <= 8 {
			return o
		}
		return 1
	}
	return 1
}
