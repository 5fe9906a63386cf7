package stellanote

import (
	"strconv"
	"strings"

	"github.com/stella-ops/stella/sbom"
)

// Component returns the notes for the parts of c that SPDX has no field for.
// The key of a component without purl is always noted; withType adds its type.
func Component(c *sbom.Component, withType bool) []sbom.Property {
	n := append([]sbom.Property(nil), c.Properties...)
	add := func(name, value string) { n = append(n, sbom.Property{Name: name, Value: value}) }
	if c.PURL == "" && c.Key != "" {
		add(Key, c.Key)
	}
	if withType {
		add(Type, c.Type)
	}
	for _, l := range c.Locations {
		if l.DiffID != "" {
			add(Location, l.DiffID+" "+l.Path)
		} else {
			add(Location, l.Path)
		}
	}
	for _, f := range c.FoundBy {
		add(FoundBy, f)
	}
	if c.Introduced != nil {
		add(sbom.PropLayerIntroduce, c.Introduced.DiffID)
		add(sbom.PropLayerIndex, strconv.Itoa(c.Introduced.Index))
	}
	if c.FirstSeen != nil {
		add(sbom.PropLayerFirstSeen, c.FirstSeen.DiffID)
	}
	if c.Source != nil {
		add(sbom.PropPkgSource, c.Source.Name)
		if c.Source.Version != "" {
			add(sbom.PropPkgSourceVer, c.Source.Version)
		}
	}
	return sortNotes(n)
}

// ApplyComponent sets the fields of c that notes carry; notes it does not
// know become properties. layers resolves the index of a firstSeen diffID.
func ApplyComponent(c *sbom.Component, notes []sbom.Property, layers []sbom.Layer) {
	var introduced, index, firstSeen, source, sourceVersion string
	for _, n := range notes {
		switch n.Name {
		case Key:
			if c.PURL == "" {
				c.Key = n.Value
			}
		case Type:
			c.Type = n.Value
		case Location:
			c.Locations = append(c.Locations, location(n.Value))
		case FoundBy:
			c.FoundBy = append(c.FoundBy, n.Value)
		case sbom.PropLayerIntroduce:
			introduced = n.Value
		case sbom.PropLayerIndex:
			index = n.Value
		case sbom.PropLayerFirstSeen:
			firstSeen = n.Value
		case sbom.PropPkgSource:
			source = n.Value
		case sbom.PropPkgSourceVer:
			sourceVersion = n.Value
		default:
			c.Properties = append(c.Properties, n)
		}
	}
	if introduced != "" {
		i, err := strconv.Atoi(index)
		if err != nil {
			i = layerIndex(layers, introduced)
		}
		c.Introduced = &sbom.LayerRef{DiffID: introduced, Index: i}
	}
	if firstSeen != "" {
		c.FirstSeen = &sbom.LayerRef{DiffID: firstSeen, Index: layerIndex(layers, firstSeen)}
	}
	if source != "" {
		c.Source = &sbom.SourcePackage{Name: source, Version: sourceVersion}
	}
}

func location(v string) sbom.Location {
	if diffID, path, ok := strings.Cut(v, " "); ok && isDigest(diffID) {
		return sbom.Location{Path: path, DiffID: diffID}
	}
	return sbom.Location{Path: v}
}

// layerIndex finds a layer by diffID; 0 when the document lists no such layer.
func layerIndex(layers []sbom.Layer, diffID string) int {
	for _, l := range layers {
		if l.DiffID == diffID {
			return l.Index
		}
	}
	return 0
}

// Subject returns the notes for the scanned subject.
func Subject(s sbom.Subject) []sbom.Property {
	var n []sbom.Property
	for _, kv := range [][2]string{
		{SubjectKind, s.Kind}, {SubjectDigest, s.Digest},
		{SubjectIndexDigest, s.IndexDigest}, {SubjectPlatform, s.Platform},
	} {
		if kv[1] != "" {
			n = append(n, sbom.Property{Name: kv[0], Value: kv[1]})
		}
	}
	return n
}

// ApplySubject sets the subject fields that notes carry and reports whether
// any were found.
func ApplySubject(s *sbom.Subject, notes []sbom.Property) bool {
	found := false
	for _, n := range notes {
		switch n.Name {
		case SubjectKind:
			s.Kind = n.Value
		case SubjectDigest:
			s.Digest = n.Value
		case SubjectIndexDigest:
			s.IndexDigest = n.Value
		case SubjectPlatform:
			s.Platform = n.Value
		default:
			continue
		}
		found = true
	}
	return found
}

// Document returns the notes for the document: its properties, image layers
// and warnings.
func Document(d *sbom.Document) []sbom.Property {
	n := append([]sbom.Property(nil), d.Properties...)
	for _, l := range d.Layers {
		v := strconv.Itoa(l.Index) + " " + l.DiffID + " " + l.ChainID
		if l.Digest != "" {
			v += " " + l.Digest
		}
		n = append(n, sbom.Property{Name: ImageLayer, Value: v})
	}
	for _, w := range d.Warnings {
		n = append(n, sbom.Property{Name: Warning, Value: w.Code + " " + w.Message})
	}
	return sortNotes(n)
}

// ApplyDocument sets the document fields that notes carry; malformed layer
// notes are skipped.
func ApplyDocument(d *sbom.Document, notes []sbom.Property) {
	for _, n := range notes {
		switch n.Name {
		case ImageLayer:
			f := strings.Fields(n.Value)
			if len(f) < 3 {
				continue
			}
			i, err := strconv.Atoi(f[0])
			if err != nil {
				continue
			}
			l := sbom.Layer{Index: i, DiffID: f[1], ChainID: f[2]}
			if len(f) > 3 {
				l.Digest = f[3]
			}
			d.Layers = append(d.Layers, l)
		case Warning:
			code, msg, _ := strings.Cut(n.Value, " ")
			d.Warnings = append(d.Warnings, sbom.Warning{Code: code, Message: msg})
		default:
			d.Properties = append(d.Properties, n)
		}
	}
}

// isDigest reports whether s has the form "<algorithm>:<hex>" of diffIDs.
func isDigest(s string) bool {
	alg, hex, ok := strings.Cut(s, ":")
	if !ok || alg == "" || len(hex) < 32 {
		return false
	}
	return strings.Trim(hex, "0123456789abcdef") == "" && strings.Trim(alg, "abcdefghijklmnopqrstuvwxyz0123456789") == ""
}
