package vex

type csafProductTree struct {
	Branches         []csafBranch      `json:"branches"`
	FullProductNames []csafProductName `json:"full_product_names"`
	Relationships    []csafRelation    `json:"relationships"`
	ProductGroups    []struct {
		GroupID    string   `json:"group_id"`
		ProductIDs []string `json:"product_ids"`
	} `json:"product_groups"`
}

type csafBranch struct {
	Branches []csafBranch     `json:"branches"`
	Product  *csafProductName `json:"product"`
}

type csafProductName struct {
	ProductID string `json:"product_id"`
	Helper    *struct {
		PURL  string   `json:"purl"`
		PURLs []string `json:"purls"` // CSAF 2.1
		CPE   string   `json:"cpe"`
	} `json:"product_identification_helper"`
}

type csafRelation struct {
	Category        string          `json:"category"`
	ProductRef      string          `json:"product_reference"`
	RelatesTo       string          `json:"relates_to_product_reference"`
	FullProductName csafProductName `json:"full_product_name"`
}

// maxBranchDepth bounds recursion on hostile product trees.
const maxBranchDepth = 64

// resolve maps product ids to products (purl, else CPE) and group ids to
// product ids. A relationship "X default_component_of Y" becomes product Y
// with subcomponent X, so a claim on it narrows to X inside Y.
func (t csafProductTree) resolve() (map[string]Product, map[string][]string) {
	refs := map[string]string{}
	add := func(p *csafProductName) {
		if p == nil || p.ProductID == "" || p.Helper == nil {
			return
		}
		ref := p.Helper.PURL
		if ref == "" && len(p.Helper.PURLs) > 0 {
			ref = p.Helper.PURLs[0]
		}
		if ref == "" {
			ref = p.Helper.CPE
		}
		if ref != "" {
			refs[p.ProductID] = NormalizeRef(ref)
		}
	}
	var walk func([]csafBranch, int)
	walk = func(bs []csafBranch, depth int) {
		if depth > maxBranchDepth {
			return
		}
		for i := range bs {
			add(bs[i].Product)
			walk(bs[i].Branches, depth+1)
		}
	}
	walk(t.Branches, 0)
	for i := range t.FullProductNames {
		add(&t.FullProductNames[i])
	}
	products := make(map[string]Product, len(refs))
	for id, ref := range refs {
		products[id] = Product{Ref: ref}
	}
	for _, r := range t.Relationships {
		id := r.FullProductName.ProductID
		parent, okP := refs[r.RelatesTo]
		child, okC := refs[r.ProductRef]
		if id == "" || !okP {
			continue
		}
		p := Product{Ref: parent}
		if okC {
			p.Subcomponents = []string{child}
		}
		products[id] = p
	}
	groups := map[string][]string{}
	for _, g := range t.ProductGroups {
		groups[g.GroupID] = g.ProductIDs
	}
	return products, groups
}
