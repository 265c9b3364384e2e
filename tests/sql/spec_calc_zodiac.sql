-- The original spec's calc_zodiac, verbatim but for its schema: the reference
-- that samia.zodiac_of is tested and benchmarked against.
create schema if not exists spec;
create or replace function spec.calc_zodiac(d date) returns text language sql immutable as $$
  select case
    when d is null then null
    when (extract(month from d)=3 and extract(day from d)>=21) or (extract(month from d)=4 and extract(day from d)<=19) then 'Aries'
    when (extract(month from d)=4 and extract(day from d)>=20) or (extract(month from d)=5 and extract(day from d)<=20) then 'Taurus'
    when (extract(month from d)=5 and extract(day from d)>=21) or (extract(month from d)=6 and extract(day from d)<=20) then 'Gemini'
    when (extract(month from d)=6 and extract(day from d)>=21) or (extract(month from d)=7 and extract(day from d)<=22) then 'Cancer'
    when (extract(month from d)=7 and extract(day from d)>=23) or (extract(month from d)=8 and extract(day from d)<=22) then 'Leo'
    when (extract(month from d)=8 and extract(day from d)>=23) or (extract(month from d)=9 and extract(day from d)<=22) then 'Virgo'
    when (extract(month from d)=9 and extract(day from d)>=23) or (extract(month from d)=10 and extract(day from d)<=22) then 'Libra'
    when (extract(month from d)=10 and extract(day from d)>=23) or (extract(month from d)=11 and extract(day from d)<=21) then 'Scorpio'
    when (extract(month from d)=11 and extract(day from d)>=22) or (extract(month from d)=12 and extract(day from d)<=21) then 'Sagittarius'
    when (extract(month from d)=12 and extract(day from d)>=22) or (extract(month from d)=1 and extract(day from d)<=19) then 'Capricorn'
    when (extract(month from d)=1 and extract(day from d)>=20) or (extract(month from d)=2 and extract(day from d)<=18) then 'Aquarius'
    else 'Pisces'
  end;
$$;
