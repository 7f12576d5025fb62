#!/usr/bin/env bash
# The quickstart: profile the churn data, split it, train and evaluate a model, register it,
# promote it, serve it over HTTP and ask it for one prediction.
set -euo pipefail
cd "$(dirname "$0")/../.."
MY=.venv/bin/modelyard
PY=.venv/bin/python
export MODELYARD_HOME="${MODELYARD_HOME:-./.modelyard}"
PORT="${MODELYARD_DEMO_PORT:-8765}"

echo "== 1. profile the data"
$MY data profile examples/churn/Telco-Customer-Churn.csv --target Churn
echo
echo "== 2. split it (stratified 70/15/15, seeded)"
$MY data split examples/churn/churn.yaml
echo
echo "== 3. train, evaluate once on the untouched test rows, register a version"
$MY train examples/churn/churn.yaml
VERSION=$($MY models show churn --json | $PY -c "import json,sys; print(json.load(sys.stdin)['versions'][0]['version'])")
echo
echo "== 4. promote version $VERSION to production"
$MY models promote churn "$VERSION" --alias production
echo
echo "== 5. serve churn@production on 127.0.0.1:$PORT and ask for one prediction"
$MY serve --host 127.0.0.1 --port "$PORT" --model churn@production &
SERVER=$!
trap 'kill -INT $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
$PY - "$PORT" <<'PYTHON'
import json, sys, time
import httpx
base = f"http://127.0.0.1:{sys.argv[1]}"
for _ in range(120):
    try:
        if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
            break
    except httpx.TransportError:
        pass
    time.sleep(0.5)
else:
    sys.exit("the server did not become ready")
customer = {
    "gender": "Female", "SeniorCitizen": 0, "Partner": "Yes", "Dependents": "No", "tenure": 1,
    "PhoneService": "No", "MultipleLines": "No phone service", "InternetService": "DSL",
    "OnlineSecurity": "No", "OnlineBackup": "Yes", "DeviceProtection": "No", "TechSupport": "No",
    "StreamingTV": "No", "StreamingMovies": "No", "Contract": "Month-to-month",
    "PaperlessBilling": "Yes", "PaymentMethod": "Electronic check", "MonthlyCharges": 29.85,
    "TotalCharges": 29.85,
}
print("POST /v1/models/churn@production/predict", json.dumps(customer))
answer = httpx.post(f"{base}/v1/models/churn@production/predict", json=customer, timeout=10)
answer.raise_for_status()
print(json.dumps(answer.json(), indent=2))
PYTHON
