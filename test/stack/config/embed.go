// Package config holds the committed configuration of the local platform: Prometheus rules,
// the Alertmanager configuration, vigie's own kwok stages and kwok's Logs CRD.
package config

import _ "embed"

// Rules is the Prometheus rules file (rules.yml).
//
//go:embed rules.yml
var Rules []byte

// Alertmanager is the Alertmanager configuration (alertmanager.yml).
//
//go:embed alertmanager.yml
var Alertmanager []byte

// KwokStages holds vigie's own kwok stages (crash loop), appended to kwok's stock stages.
//
//go:embed kwok-stages.yaml
var KwokStages []byte

// KwokLogsCRD is kwok's Logs CustomResourceDefinition (one Logs object per simulated pod).
//
//go:embed kwok-logs-crd.yaml
var KwokLogsCRD []byte
