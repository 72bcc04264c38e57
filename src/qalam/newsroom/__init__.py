"""The newsroom: pages written from the editor and the API, with workflow and git history.

No Django here (accounts and sessions are the web layer's, web/accounts.py): ``documents`` reads
and writes page files, ``gitstore`` keeps the history, ``workflow`` says who may do what.
"""
