### SAMIA-TAROT notices, English.
###
### One message per kind of core/src/notices/kinds.rs (KINDS), named for the
### kind with "." written "-", with a .title and a .body. An optional parameter
### has an attribute of its own name, added after the body when it is given.
### Use only the kind's declared parameters; the tests check both catalogs.
###
### Times ($start) come formatted in the receiver's zone; numbers are
### formatted for the locale. Functions:
###   UNIT($minutes)   "hours" when $minutes is a whole number of hours (60 or
###                    more), else "minutes"
###   HOURS($minutes)  $minutes / 60
###   DAY($date)       a day, "Tuesday, March 2"
###   MONTH($date)     a month, "March 2027"

## Shared pieces (messages see the arguments of the message that uses them).

lead-time =
    { UNIT($minutes) ->
        [hours]
            { HOURS($minutes) ->
                [one] one hour
               *[other] { HOURS($minutes) } hours
            }
       *[minutes]
            { $minutes ->
                [one] one minute
               *[other] { $minutes } minutes
            }
    }

## Orders

order-delivered =
    .title = Your reading is ready
    .body = Order { $order_id } has been delivered. Open it to listen.

order-call_completed =
    .title = Your call is complete
    .body = Order { $order_id }: your call has ended. Thank you.

# To the reader.
order-rejected =
    .title = Your recording was sent back
    .body = Order { $order_id }: a monitor sent your recording back. Please record it again. Reason: { $reason }

## Calls ($role: the client who booked, or the reader)

call-booked =
    .title =
        { $role ->
            [reader] New booking: { $service }
           *[client] Your { $service } is booked
        }
    .body =
        { $role ->
            [reader] Order { $order_id }: a { $service } at { $start }.
           *[client] Order { $order_id }: your { $service } is on { $start }.
        }
    .pre_ritual = Before the call: { $pre_ritual }

call-moved =
    .title = Your call has a new time
    .body = Order { $order_id }: your { $service } is now on { $start }.

call-reminder =
    .title =
        { $role ->
            [reader] A { $service } starts in { lead-time }
           *[client] Your { $service } starts in { lead-time }
        }
    .body =
        { $role ->
            [reader] Order { $order_id }: a { $service } at { $start }.
           *[client] Order { $order_id }: your call is on { $start }.
        }
    .pre_ritual = Before the call: { $pre_ritual }

call-starting =
    .title = Your call is starting
    .body = Order { $order_id }: your { $service } is starting now. You can join.

# To the admins.
call-missed =
    .title = A reader missed a call
    .body = Order { $order_id }: the reader did not join in time, so the call failed and the order was cancelled.

call-dropped =
    .title = Your call was ended
    .body = Order { $order_id }: our team ended this call and the order was cancelled.

## Profile

phone-verified =
    .title = Phone number verified
    .body = Your phone number has been verified. Thank you.

## Horoscopes

horoscope-published =
    .title =
        { $scope ->
            [monthly] { $zodiac }: your month ahead
           *[daily] { $zodiac }: your day ahead
        }
    .body =
        { $scope ->
            [monthly] Your horoscope for { MONTH($ref_date) } is here.
           *[daily] Your horoscope for { DAY($ref_date) } is here.
        }
