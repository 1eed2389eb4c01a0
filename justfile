set shell := ["bash", "-euo", "pipefail", "-c"]

# List the recipes
default:
    @{{just_executable()}} --list --justfile {{justfile()}}

# Start DynamoDB Local (:8000), moto's Cognito (:9229) and PostgreSQL (:5432) on 127.0.0.1
up:
    bash scripts/stack.sh up

# Stop the services `up` started
down:
    bash scripts/stack.sh down

# One line per service; fails unless all three are up
status:
    bash scripts/stack.sh status
