package graph

import (
	"github.com/stella-ops/stella/graph/model"
	"github.com/stella-ops/stella/release"
)

func environmentSpec(in model.EnvironmentInput) (release.EnvironmentSpec, error) {
	vars, err := keyMap("variables", in.Variables)
	if err != nil {
		return release.EnvironmentSpec{}, err
	}
	spec := release.EnvironmentSpec{
		Name:                       in.Name,
		DisplayName:                deref(in.DisplayName),
		OrderIndex:                 in.OrderIndex,
		Tier:                       in.Tier,
		RequiredApprovals:          deref(in.RequiredApprovals),
		ApproverGroups:             in.ApproverGroups,
		RequireSeparationOfDuties:  deref(in.RequireSeparationOfDuties),
		RequirePreviousEnvironment: in.RequirePreviousEnvironment,
		AutoPromoteFrom:            deref(in.AutoPromoteFrom),
		Config: release.EnvironmentConfig{
			Variables:                vars,
			SecretRefs:               in.SecretRefs,
			AgentLabels:              in.AgentLabels,
			DeploymentTimeoutSeconds: deref(in.DeploymentTimeoutSeconds),
		},
	}
	for _, w := range in.FreezeWindows {
		spec.FreezeWindows = append(spec.FreezeWindows, release.FreezeWindow{Start: w.Start, End: w.End, Reason: w.Reason, Exceptions: w.Exceptions})
	}
	return spec, nil
}

func targetSpec(in model.TargetInput) (release.TargetSpec, error) {
	spec := release.TargetSpec{Name: in.Name, Environment: in.Environment, Type: in.Type, AgentID: deref(in.AgentID)}
	var err error
	if spec.Labels, err = keyMap("labels", in.Labels); err != nil {
		return spec, err
	}
	if spec.Connection, err = keyMap("connection", in.Connection); err != nil {
		return spec, err
	}
	spec.Secrets, err = keyMap("secrets", in.Secrets)
	return spec, err
}

func targetFilter(f *model.TargetFilter) (release.TargetFilter, error) {
	if f == nil {
		return release.TargetFilter{}, nil
	}
	labels, err := keyMap("filter.labels", f.Labels)
	return release.TargetFilter{EnvironmentID: deref(f.Environment), Type: deref(f.Type), Label: labels, NameContains: deref(f.NameContains)}, err
}

func integrationSpec(in model.IntegrationInput) (release.IntegrationSpec, error) {
	headers, err := keyMap("headers", in.Headers)
	if err != nil {
		return release.IntegrationSpec{}, err
	}
	spec := release.IntegrationSpec{
		Name: in.Name,
		Type: in.Type,
		Config: release.IntegrationConfig{
			Endpoint:       deref(in.Endpoint),
			AuthMode:       deref(in.AuthMode),
			Insecure:       deref(in.Insecure),
			TimeoutSeconds: deref(in.TimeoutSeconds),
			Headers:        headers,
		},
		ReuseCredential: deref(in.ReuseCredential),
	}
	if c := in.Credential; c != nil {
		spec.Credential = &release.Credential{Username: deref(c.Username), Password: deref(c.Password), Token: deref(c.Token)}
	}
	return spec, nil
}

func componentSpec(in model.ComponentInput) (release.ComponentSpec, error) {
	meta, err := keyMap("metadata", in.Metadata)
	spec := release.ComponentSpec{
		Name:            in.Name,
		DisplayName:     deref(in.DisplayName),
		ImageRepository: in.ImageRepository,
		Registry:        in.Registry,
		DefaultChannel:  deref(in.DefaultChannel),
		Metadata:        meta,

		DeploymentTemplate: deref(in.DeploymentTemplate),
	}
	if v := in.Versioning; v != nil {
		spec.Versioning = release.Versioning{Type: string(v.Type), TagPattern: deref(v.TagPattern), SemverExtract: deref(v.SemverExtract)}
	}
	return spec, err
}

func releaseDraft(in model.ReleaseInput) release.Draft {
	d := release.Draft{Name: in.Name, DisplayName: deref(in.DisplayName), Application: deref(in.Application)}
	if s := in.SourceRef; s != nil {
		d.SourceRef = &release.SourceRef{SCM: s.Scm, Repository: s.Repository, Commit: s.Commit, Branch: deref(s.Branch)}
	}
	return d
}

func releaseFilter(f *model.ReleaseFilter) release.ReleaseFilter {
	if f == nil {
		return release.ReleaseFilter{}
	}
	return release.ReleaseFilter{
		NameContains:  deref(f.NameContains),
		Application:   deref(f.Application),
		Component:     deref(f.Component),
		Digest:        deref(f.Digest),
		Status:        deref(f.Status),
		CreatedAfter:  f.CreatedAfter,
		CreatedBefore: f.CreatedBefore,
	}
}

func componentRef(in model.ReleaseComponentInput) release.ComponentRef {
	return release.ComponentRef{Component: in.Component, Tag: deref(in.Tag), Digest: deref(in.Digest), Role: string(deref(in.Role))}
}
