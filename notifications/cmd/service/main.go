// Command service runs notifications on :5300 (HTTP_ADDR overrides it): the durable
// consumer that keeps customers and jobs and reminds customers of their jobs when a
// day begins, the mail dispatcher that sends the reminders, and the query API under
// /api/reminders. Besides the common environment of shared-go/config:
//
//	SMTP_URL  smtp://[user:pass@]host:port of the mail server; empty (the default) writes
//	          each reminder mail as an .eml file to MAIL_DIR instead
//	MAIL_DIR  directory of the .eml files when SMTP_URL is empty (default .pitstop-data/mail)
//
// It exits with 2 when the configuration is invalid, 1 when start-up or the service fails.
package main

import (
	"os"

	"github.com/pitstop/pitstop/notifications"
	"github.com/pitstop/pitstop/shared-go/app"
)

func main() { os.Exit(app.MainService(notifications.Context)) }
