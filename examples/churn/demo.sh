#!/usr/bin/env bash
# The quickstart: profile the churn data, split it, and train a model on it.
set -euo pipefail
cd "$(dirname "$0")/../.."
MY=.venv/bin/modelyard
export MODELYARD_HOME="${MODELYARD_HOME:-./.modelyard}"

echo "== 1. profile the data"
$MY data profile examples/churn/Telco-Customer-Churn.csv --target Churn
echo
echo "== 2. split it (stratified 70/15/15, seeded)"
$MY data split examples/churn/churn.yaml
echo
echo "== 3. train a model, evaluate it on validation and, once, on test"
$MY train examples/churn/churn.yaml
