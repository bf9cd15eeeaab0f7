"""The only package that imports `kubernetes`. It returns plain JSON data and raises only
our own errors (errors.py); nothing above it sees an ApiException or a urllib3 error.
"""
