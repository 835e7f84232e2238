// Command service runs invoicing on :5400 (HTTP_ADDR overrides it): the durable
// consumer that keeps customers and jobs and invoices finished jobs when a day begins,
// the mail dispatcher that sends the invoices to the print company, and the query API
// under /api/invoices. Besides the common environment of shared-go/config:
//
//	SMTP_URL  smtp://[user:pass@]host:port of the mail server; empty (the default) writes
//	          each invoice mail as an .eml file to MAIL_DIR instead
//	MAIL_DIR  directory of the .eml files when SMTP_URL is empty (default .pitstop-data/mail)
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/pitstop/pitstop/invoicing"
	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/config"
	"github.com/pitstop/pitstop/shared-go/mail"
)

func main() {
	cfg, err := config.Load(config.Mail{})
	if err != nil {
		slog.Error("start-up failed", "service", "invoicing", "err", err)
		os.Exit(1)
	}
	sender, err := mail.SenderFor(cfg.SMTPURL, cfg.MailDir)
	if err != nil {
		slog.Error("start-up failed", "service", "invoicing", "err", err)
		os.Exit(1)
	}
	os.Exit(app.MainService("invoicing", invoicing.Schema, ":5400", func(ctx context.Context, d app.Deps) (app.Module, error) {
		return invoicing.NewWithOptions(ctx, d, invoicing.Options{Sender: sender})
	}))
}
