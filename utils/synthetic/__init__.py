"""Seeded generators of the course's synthetic data: the same seed gives the same data on any machine.

- ``utils.synthetic.watch``   watch histories whose next item depends on order (notebook 03)
- ``utils.synthetic.long_range``   murmured sentences: a key, a long murmur, a query (notebook 10)
- ``utils.synthetic.scenes``  images of coloured shapes with their captions, held-out colour-shape pairs (notebook 12)
- ``utils.synthetic.dates``   dates in English and Korean formats with their ISO form (notebook 11)
"""
