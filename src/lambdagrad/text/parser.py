"""Placeholder: the parser is being written."""


def parse(text, prelude=False):
    raise NotImplementedError


def parse_expr(text):
    raise NotImplementedError
