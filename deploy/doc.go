// Package deploy is the home of deployment: agents, Docker and Compose deployers, generated artifacts.
package deploy
