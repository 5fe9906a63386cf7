package vex

// FilterFor is the statement filter that selects every statement any of
// the subjects' consensus could use: the union of their vulnerability ids
// and product references, or no restriction on a list when one subject
// puts none there.
func FilterFor(subjects ...Subject) StatementFilter {
	var u StatementFilter
	anyVuln, anyProduct := false, false
	vulns, prods := map[string]bool{}, map[string]bool{}
	for _, subj := range subjects {
		f := subjectFilter(subj)
		anyVuln = anyVuln || len(f.Vulnerabilities) == 0
		anyProduct = anyProduct || len(f.Products) == 0
		for _, v := range f.Vulnerabilities {
			if !vulns[v] {
				vulns[v] = true
				u.Vulnerabilities = append(u.Vulnerabilities, v)
			}
		}
		for _, p := range f.Products {
			if !prods[p] {
				prods[p] = true
				u.Products = append(u.Products, p)
			}
		}
	}
	if anyVuln {
		u.Vulnerabilities = nil
	}
	if anyProduct {
		u.Products = nil
	}
	return u
}

// subjectFilter selects the statements about one subject: its ids, and
// its product, package or CPE.
func subjectFilter(subj Subject) StatementFilter {
	var products []string
	for _, p := range []string{subj.Product, subj.Package, subj.CPE} {
		if p != "" {
			products = append(products, p)
		}
	}
	return StatementFilter{Vulnerabilities: subj.Vuln, Products: products}
}
