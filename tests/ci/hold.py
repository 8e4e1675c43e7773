"""A job cancelled mid-test: connects, says so, waits to be killed."""
import sys
import time

import psycopg2

conn = psycopg2.connect(dbname=sys.argv[1])
open(sys.argv[2], "w").close()
time.sleep(120)
