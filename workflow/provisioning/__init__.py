"""Provisioning: telling the secure environment who may use which data, and when that changes.

Three ways, one source: the **change feed** (``EntitlementChange``, written in the same
transaction as every change to an access grant or a live project, numbered in commit order),
read by polling the entitlements API; **signed GA4GH visas** for each active grant, verified
with our JWKS; and **webhooks**, one delivery row per receiver and change, in the same
transaction, sent by Celery with the Standard Webhooks signature, retried with backoff and
delivered in order per project. See docs/provisioning.md.
"""
