"""Helpers the tests import (conftest modules keep only fixtures)."""
